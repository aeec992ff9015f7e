namespace PgRotate.Contracts;

/// <summary>Progress of taking over an existing single-user app, as written on the wire.</summary>
public enum AdoptionState
{
    /// <summary>Nothing was adopted: pgrotate created the roles.</summary>
    None,

    /// <summary>The group role still logs in for its old clients.</summary>
    Adopting,

    /// <summary>The group role has been made NOLOGIN.</summary>
    Adopted,
}
