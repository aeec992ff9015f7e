using PgRotate.Contracts;

namespace PgRotate.Cli.Output;

/// <summary>CLI output for scripts: the one JSON convention of <see cref="PgRotateJson"/>, for every command.</summary>
public static class JsonOutput
{
    public static string Serialize<T>(T value) => PgRotateJson.Serialize(value);
}
