namespace PgRotate.Access;

/// <summary>The outcome of checking a presented token: the verdict, and the token when it was accepted.</summary>
public sealed record TokenCheck(TokenVerdict Verdict, StoredToken? Token)
{
    internal static TokenCheck Refused(TokenVerdict verdict) => new(verdict, null);
}
