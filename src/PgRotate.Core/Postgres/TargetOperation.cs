namespace PgRotate.Postgres;

/// <summary>The kinds of thing <see cref="TargetOperations"/> does to a target, as metrics and logs name them.</summary>
internal enum TargetOperation
{
    SetPassword,
    SetOwnPassword,
    Expire,
    Apply,
    TerminateSessions,
    ReadSettings,
    TestLogin,
}
