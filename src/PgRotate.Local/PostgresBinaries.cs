using System.Text.RegularExpressions;
using PgRotate.Errors;

namespace PgRotate.Local;

/// <summary>A folder holding a PostgreSQL server's programs (initdb, pg_ctl, postgres), and its major version.</summary>
public sealed partial record PostgresBinaries(string BinDir, int MajorVersion, string VersionText)
{
    public const string BinDirVariable = "PGROTATE_PG_BINDIR";

    /// <summary>
    /// The folder named by <see cref="BinDirVariable"/>, else the newest /usr/lib/postgresql/N/bin that has initdb.
    /// </summary>
    internal static Task<PostgresBinaries> LocateAsync(string? binDir, CancellationToken cancellationToken)
    {
        binDir ??= Environment.GetEnvironmentVariable(BinDirVariable);
        if (string.IsNullOrWhiteSpace(binDir))
        {
            binDir = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "initdb")))
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                    .FirstOrDefault()
                : null;
        }

        if (binDir is null || !File.Exists(Path.Combine(binDir, "initdb")) || !File.Exists(Path.Combine(binDir, "pg_ctl")))
        {
            throw new PgRotateException(ErrorCode.EnvironmentError,
                $"no PostgreSQL server programs found{(binDir is null ? "" : $" in {binDir}")}; install postgresql (apt-get install postgresql) or set {BinDirVariable} to a folder holding initdb and pg_ctl");
        }

        return DescribeAsync(binDir, cancellationToken);
    }

    private static async Task<PostgresBinaries> DescribeAsync(string binDir, CancellationToken cancellationToken)
    {
        var text = (await ExternalProcess.RunCheckedAsync(Path.Combine(binDir, "postgres"), ["-V"], cancellationToken).ConfigureAwait(false)).Trim();
        var match = VersionPattern().Match(text);
        if (!match.Success)
        {
            throw new PgRotateException(ErrorCode.EnvironmentError, $"cannot read the PostgreSQL version from '{text}' ({binDir})");
        }

        return new PostgresBinaries(binDir, int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), text);
    }

    internal string Program(string name) => Path.Combine(BinDir, name);

    [GeneratedRegex(@"\(PostgreSQL\) (\d+)")]
    private static partial Regex VersionPattern();
}
