using System.Text;
using System.Text.RegularExpressions;

namespace PgRotate.Cli.Commands.Demo;

/// <summary>
/// pgbouncer's logins to PostgreSQL, counted per login name from its log. It logs
/// <c>S-0x…: ALIAS/LOGIN@HOST:PORT new connection to server</c> when it starts a server connection, naming the login it
/// logs in with, and <c>S-0x…: … closing because: login failed</c> when PostgreSQL refused it, or
/// <c>closing because: connect string changed</c> when a reload dropped it before its login finished. Those two lines
/// name the database's login at the time they are written (after a reload, already the new one), so they are matched
/// to the connection by its address (<c>S-0x…</c>), whose last "new connection" line names the login it tried. The log
/// is the one record of every server login: connections that live a second are missed by sampling pg_stat_activity,
/// and PostgreSQL's own log cannot tell pgbouncer's logins from other clients'. Each read takes only what was appended
/// since the last one; the live view and the summary share one counter.
/// </summary>
internal sealed partial class PgBouncerServerLogins(string logFile) : IDisposable
{
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly Dictionary<string, long> _logins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _loginOf = new(StringComparer.Ordinal);
    private long _refused;
    private long _offset;

    /// <summary>The login of the server connection pgbouncer opened last, as of the last read.</summary>
    public string? LastLogin { get; private set; }

    /// <summary>Reads what pgbouncer logged since the last call; returns the logins PostgreSQL accepted, per login name, and those it refused.</summary>
    public async Task<(IReadOnlyDictionary<string, long> Logins, long Refused)> ReadAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            await ReadAppendedAsync(cancellationToken);
            return (new Dictionary<string, long>(_logins, StringComparer.Ordinal), _refused);
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task ReadAppendedAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(logFile))
        {
            return;
        }

        await using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= _offset)
        {
            return;
        }

        stream.Position = _offset;
        var appended = new byte[stream.Length - _offset];
        await stream.ReadExactlyAsync(appended, cancellationToken);
        // Only whole lines: a line pgbouncer is still writing is read next time, from its start.
        var end = Array.LastIndexOf(appended, (byte)'\n') + 1;
        _offset += end;
        foreach (var line in Encoding.UTF8.GetString(appended, 0, end).Split('\n'))
        {
            if (ServerLine().Match(line) is not { Success: true } match)
            {
                continue;
            }

            var (connection, login) = (match.Groups["connection"].Value, match.Groups["login"].Value);
            switch (match.Groups["event"].Value)
            {
                case "new connection to server":
                    _loginOf[connection] = login;
                    _logins[login] = _logins.GetValueOrDefault(login) + 1;
                    LastLogin = login;
                    break;
                case var failed when _loginOf.Remove(connection, out var tried):
                    // Counted when it started; it never logged in.
                    _logins[tried] -= 1;
                    _refused += failed.EndsWith("login failed", StringComparison.Ordinal) ? 1 : 0;
                    break;
            }
        }
    }

    [GeneratedRegex(@" (?<connection>S-0x[0-9a-f]+): [^/ ]+/(?<login>[^@ ]+)@\S+ (?<event>new connection to server|closing because: login failed|closing because: connect string changed)")]
    private static partial Regex ServerLine();

    public void Dispose() => _reading.Dispose();
}
