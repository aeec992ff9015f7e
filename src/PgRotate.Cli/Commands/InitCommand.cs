using System.CommandLine;
using PgRotate.Cli.Output;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Local;
using PgRotate.Store;

namespace PgRotate.Cli.Commands;

/// <summary><c>pgrotate init</c>: creates the store and, unless $PGROTATE_MASTER_KEY is set, the master key file.</summary>
public static class InitCommand
{
    public static Command Create(CommandFactory commands) => commands.Command("init",
        "Create the store and its master key (mode 0600 beside the store, unless $PGROTATE_MASTER_KEY is set). Never overwrites either.",
        RunAsync);

    private static async Task<int> RunAsync(CliContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        var location = context.Store;
        // A store file is checked before any key is looked at; a store in a database is refused by its provider.
        if (location.Kind == StoreKind.Sqlite && File.Exists(location.Value))
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a store already exists at {location.Value}; pgrotate init never overwrites one");
        }

        var key = await context.FindKeyAsync(cancellationToken);
        var keyFromEnvironment = key is not null && context.Host.Environment(MasterKey.EnvironmentVariable) is { Length: > 0 };
        if (key is not null && !keyFromEnvironment)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists,
                $"a key file already exists at {context.KeyFilePath} but there is no store; pgrotate init never overwrites a key. Move it away, or point --store at the store it belongs to");
        }

        // A store kind this build cannot create is refused before a key file is written.
        StoreProviders.For(location, context.Host.Environment);
        using var created = key is null ? MasterKey.Generate() : null;
        if (created is not null)
        {
            // The key is written before the store (which creates its own folder), so a new folder must exist first;
            // like every folder init creates, it is owner-only (0700).
            PrivateFolder.Create(Path.GetDirectoryName(context.KeyFilePath)!);
            await created.WriteNewFileAsync(context.KeyFilePath, cancellationToken);
        }

        var keySource = created is null ? $"${MasterKey.EnvironmentVariable}" : context.KeyFilePath;

        string storeName;
        (Crypto.SecretText Text, Access.StoredToken Token) admin;
        try
        {
            var store = await context.CreateStoreAsync(key ?? created!, cancellationToken);
            storeName = store.Location;
            // The first admin token for 'pgrotate serve', printed now and never again (the store keeps its hash).
            admin = await new Access.Tokens(store, context.Time).CreateAsync(Access.Tokens.FirstAdminName, [new Access.TokenPolicy(Access.Capability.Admin, Access.TokenPolicy.Everything)], null, cancellationToken);
        }
        catch when (created is not null)
        {
            File.Delete(context.KeyFilePath);
            throw;
        }

        if (context.Json)
        {
            await context.Out.WriteLineAsync(JsonOutput.Serialize(new Contracts.InitResult(storeName, keySource, (key ?? created!).KeyId, TokenCommands.Created(admin.Text.Reveal(), admin.Token))));
        }
        else
        {
            await context.Out.WriteLineAsync($"created store {storeName}");
            await context.Out.WriteLineAsync($"master key: {keySource} (id {(key ?? created!).KeyId})");
            if (created is not null)
            {
                await context.Out.WriteLineAsync("keep a copy of the key file somewhere safe: without it nothing in the store can be decrypted");
            }

            await TokenCommands.WriteCreatedAsync(context, admin.Text.Reveal(), admin.Token);
        }

        return ExitCodes.Ok;
    }
}
