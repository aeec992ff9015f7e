namespace PgRotate.Leases;

/// <summary>Where a lease stands: its role works, its role is being dropped (retried until it is gone), or it is gone.</summary>
public enum LeaseState
{
    /// <summary>The login role exists and works until the lease's expiry.</summary>
    Active,

    /// <summary>The lease ended (revoked, expired, its token revoked) and dropping its role has not finished yet.</summary>
    Revoking,

    /// <summary>The login role is gone.</summary>
    Revoked,
}

public static class LeaseStateNames
{
    public static string WireName(this LeaseState state) => state switch
    {
        LeaseState.Active => "active",
        LeaseState.Revoking => "revoking",
        LeaseState.Revoked => "revoked",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>A state read from a store; anything else was not written by pgrotate.</summary>
    public static LeaseState Parse(string text) => text switch
    {
        "active" => LeaseState.Active,
        "revoking" => LeaseState.Revoking,
        "revoked" => LeaseState.Revoked,
        _ => throw new Errors.PgRotateException(Errors.ErrorCode.StoreCorrupt, $"a lease in the store has the state {Postgres.Sql.Printable(text)}, which pgrotate does not write; restore the store from a backup"),
    };
}
