namespace PgRotate.Contracts;

/// <summary>
/// A token just made (<c>token create</c>, <c>init</c>): the one time its text is shown. <see cref="ToString"/> leaves
/// the token out, so a logged record does not leak it.
/// </summary>
public sealed record CreatedToken(string Name, string Token, IReadOnlyList<string> Policies, DateTimeOffset? ExpiresAt)
{
    public override string ToString() => $"CreatedToken {{ Name = {Name}, Token = (hidden), Policies = [{string.Join(", ", Policies)}], ExpiresAt = {ExpiresAt} }}";
}
