using PgRotate.Contracts;

namespace PgRotate.Cli.Output;

/// <summary>CLI output for scripts: the one JSON convention of <see cref="PgRotateJson"/>, for every command.</summary>
public static class JsonOutput
{
    public static string Serialize<T>(T value) => PgRotateJson.Serialize(value);

    /// <summary>One record per line (JSON Lines), for output that grows while it is read, such as a followed log.</summary>
    public static string SerializeLine<T>(T value) => PgRotateJson.SerializeLine(value);
}
