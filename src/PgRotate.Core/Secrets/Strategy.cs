namespace PgRotate.Secrets;

/// <summary>How a secret's credential changes on rotation.</summary>
public enum Strategy
{
    /// <summary>A NOLOGIN group role owns everything; two login roles take turns, each defaulting to the group.</summary>
    Alternating,

    /// <summary>One login role whose password changes in place (the rotator's own credential; apps that cannot change username).</summary>
    Single,

    /// <summary>
    /// A NOLOGIN group role owns everything; each lease creates a login role of its own, member of the group, that
    /// PostgreSQL stops accepting at the lease's expiry and pgrotate drops when the lease ends (see Leases/).
    /// </summary>
    Dynamic,
}

public static class StrategyNames
{
    /// <summary>The strategy of a secret added without <c>--strategy</c>.</summary>
    public const Strategy Default = Strategy.Alternating;

    public static string WireName(this Strategy strategy) => strategy switch
    {
        Strategy.Alternating => "alternating",
        Strategy.Single => "single",
        Strategy.Dynamic => "dynamic",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    public static Strategy Parse(string text) => text switch
    {
        "alternating" => Strategy.Alternating,
        "single" => Strategy.Single,
        "dynamic" => Strategy.Dynamic,
        _ => throw Errors.PgRotateException.InvalidInput($"unknown strategy {Postgres.Sql.Printable(text)}: use alternating, single or dynamic"),
    };
}
