using Microsoft.AspNetCore.Http;
using PgRotate.Access;
using PgRotate.Store;

namespace PgRotate.Server.Auth;

/// <summary>
/// Who is calling: the accepted token, what it is granted, the caller's address, and the store acting for it
/// (<c>token:NAME</c> in history and audit). Set by <see cref="BearerTokenHandler"/> for an authenticated request.
/// </summary>
internal sealed record Caller(StoredToken Token, AccessPolicy Access, string? Address, ISecretStore Store)
{
    private const string ItemKey = "pgrotate.caller";

    public string Actor => "token:" + Token.Name;

    public static Caller Of(HttpContext context) =>
        context.Items[ItemKey] as Caller ?? throw new InvalidOperationException("the endpoint requires authorization but no caller was set");

    internal void Attach(HttpContext context) => context.Items[ItemKey] = this;
}
