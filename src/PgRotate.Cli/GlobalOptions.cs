using System.CommandLine;

namespace PgRotate.Cli;

/// <summary>Options every subcommand accepts.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Store { get; } = new("--store")
    {
        Description = "Store file (default: $PGROTATE_STORE, else ./pgrotate.db)",
        Recursive = true,
    };

    public Option<string?> KeyFile { get; } = new("--key-file")
    {
        Description = "Master key file (default: $PGROTATE_KEY_FILE, else the store's path + .key); $PGROTATE_MASTER_KEY (base64) takes precedence",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print machine-readable JSON",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Print stack traces of unexpected errors",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Store);
        root.Options.Add(KeyFile);
        root.Options.Add(Json);
        root.Options.Add(Verbose);
    }
}
