namespace PgRotate.Secrets;

/// <summary>Progress of taking over an existing single-user app whose group role still logs in itself.</summary>
public enum Adoption
{
    None,

    /// <summary>Login roles exist; the group role can still log in until its old clients have moved.</summary>
    Adopting,

    /// <summary>The group role has been made NOLOGIN by <c>secret adopt-finish</c>.</summary>
    Adopted,
}
