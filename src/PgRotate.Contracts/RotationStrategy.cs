namespace PgRotate.Contracts;

/// <summary>How a secret's credential changes on rotation, as written on the wire.</summary>
public enum RotationStrategy
{
    /// <summary>A NOLOGIN group role owns everything; two login roles take turns.</summary>
    Alternating,

    /// <summary>One login role whose password changes in place.</summary>
    Single,

    /// <summary>A NOLOGIN group role owns everything; each lease gets a login role of its own that ends with the lease.</summary>
    Dynamic,
}
