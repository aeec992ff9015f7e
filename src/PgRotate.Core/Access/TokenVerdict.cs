namespace PgRotate.Access;

/// <summary>Why a presented token was accepted or not; the reasons are counted, never told to the caller apart.</summary>
public enum TokenVerdict
{
    Accepted,
    Missing,
    Malformed,
    Unknown,
    Revoked,
    Expired,
}
