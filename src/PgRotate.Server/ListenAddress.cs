using System.Net;
using PgRotate.Errors;
using PgRotate.Postgres;

namespace PgRotate.Server;

/// <summary>
/// What <c>--listen</c> names: <c>http://127.0.0.1:7420</c>, <c>https://0.0.0.0:8443</c>, <c>http://[::1]:0</c> (port 0: any
/// free port). The host is an IP address, or <c>localhost</c> (127.0.0.1); a name that DNS would resolve is refused, so
/// what is bound, and whether it is reachable from other machines, is plain.
/// </summary>
public sealed record ListenAddress(bool Https, IPAddress Address, int Port)
{
    internal bool IsLoopback => IPAddress.IsLoopback(Address);

    public static ListenAddress Parse(string text, bool tls)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw PgRotateException.InvalidInput($"--listen {Sql.Printable(text)} is not an address to listen on: write it like http://127.0.0.1:7420 or https://0.0.0.0:8443");
        }

        var https = uri.Scheme == "https";
        if (https != tls)
        {
            throw PgRotateException.InvalidInput(https
                ? $"--listen {Sql.Printable(text)} is https: give --tls-cert and --tls-key"
                : $"--tls-cert and --tls-key serve HTTPS: write --listen as https://{uri.Authority}");
        }

        var host = uri.Host.Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var ip) ? ip
            : throw PgRotateException.InvalidInput($"--listen {Sql.Printable(text)}: give an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1) or localhost, not a host name");
        var port = uri.IsDefaultPort && !text.Contains($":{uri.Port}", StringComparison.Ordinal) ? ServerSettings.DefaultPort : uri.Port;
        return new ListenAddress(https, address, port);
    }

    public override string ToString() => $"{(Https ? "https" : "http")}://{(Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address)}:{Port}";
}
