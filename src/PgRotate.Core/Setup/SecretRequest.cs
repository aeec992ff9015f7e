using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Setup;

/// <summary>What <c>pgrotate secret add</c> was asked for, validated.</summary>
public sealed record SecretRequest(
    string Name,
    string Target,
    Strategy Strategy,
    string Group,
    string? LoginA = null,
    string? LoginB = null,
    Schedule? Schedule = null,
    TimeSpan? Grace = null,
    string? CheckSql = null,
    bool Adopt = false);
