using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;

namespace PgRotate.Server.Endpoints;

/// <summary>What a lease operation for a caller came to: its result, or the refusal to answer instead (the token may not lease that secret).</summary>
internal sealed record LeaseOutcome<T>(T? Value, IResult? Refusal)
    where T : class
{
    [MemberNotNullWhen(false, nameof(Value))]
    [MemberNotNullWhen(true, nameof(Refusal))]
    public bool Refused => Refusal is not null;

    public static implicit operator LeaseOutcome<T>(T value) => new(value, null);
}
