using System.Data.Common;

var builder = WebApplication.CreateBuilder(args);

// Where the credential comes from: the pgrotate server, a token allowed to read the secret, and the secret's name.
// From appsettings.json or the environment (PgRotate__ServerUrl, PgRotate__TokenFile, PgRotate__Secret).
var pgrotate = builder.Configuration.GetSection("PgRotate");
builder.Services.AddPgRotateDataSource(pgrotate["Secret"] ?? "orders/app", options =>
{
    options.ServerUrl = new Uri(pgrotate["ServerUrl"] ?? "http://127.0.0.1:7420");
    options.TokenFile = pgrotate["TokenFile"];
    options.Token = pgrotate["Token"];
});

var app = builder.Build();

// Every request opens a connection from the data source: it is always opened with the login that is current, so the
// service keeps answering through every rotation without a restart. session_user is the login (app_a or app_b);
// current_user is the group it acts as, which owns the tables.
app.MapGet("/whoami", async (DbDataSource database, CancellationToken cancellationToken) =>
{
    await using var connection = await database.OpenConnectionAsync(cancellationToken);
    await using var command = connection.CreateCommand();
    command.CommandText = "SELECT session_user::text, current_user::text";
    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
    await reader.ReadAsync(cancellationToken);
    return Results.Ok(new Identity(reader.GetString(0), reader.GetString(1)));
});

await app.RunAsync();

/// <summary>Who a request's connection logged in as, and the role it acts as.</summary>
internal sealed record Identity(string Login, string ActsAs);
