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

/// <summary>The stored names of <see cref="Adoption"/> states, defined once for every store.</summary>
public static class AdoptionNames
{
    public static string WireName(this Adoption adoption) => adoption switch
    {
        Adoption.None => "none",
        Adoption.Adopting => "adopting",
        _ => "adopted",
    };

    internal static Adoption Parse(string text) => text switch
    {
        "none" => Adoption.None,
        "adopting" => Adoption.Adopting,
        _ => Adoption.Adopted,
    };
}
