using System.Net;
using System.Net.Sockets;

namespace PgRotate.Local;

/// <summary>Ports of 127.0.0.1 for throwaway servers.</summary>
internal static class LoopbackPort
{
    /// <summary>A port free at this moment; another process may still take it before the server binds it, so callers retry.</summary>
    public static int FindFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
