using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PgRotate.Tests.Security;

/// <summary>
/// Something on 127.0.0.1 that speaks just enough of the PostgreSQL protocol to ask every client for a password the
/// weak way: refuses TLS and GSS encryption, reads the StartupMessage, answers AuthenticationCleartextPassword (R, 3) or
/// AuthenticationMD5Password (R, 5 + salt), and records the type of every message the client sends after that. A
/// password message ('p') is answered with a FATAL error, so a client that sent one ends at once instead of waiting.
/// </summary>
public sealed class FakePostgresServer : IAsyncDisposable
{
    public enum Ask
    {
        Cleartext = 3,
        Md5 = 5,
    }

    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Ask _ask;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<char> _received = new();
    private readonly ConcurrentQueue<string> _startupUsers = new();
    private readonly Task _accepting;

    public FakePostgresServer(Ask ask)
    {
        _ask = ask;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The message types clients sent after being asked for a password, in order.</summary>
    public IReadOnlyCollection<char> ReceivedAfterAsking => _received;

    /// <summary>The user name of every StartupMessage, i.e. how many clients got as far as being asked.</summary>
    public IReadOnlyCollection<string> StartupUsers => _startupUsers;

    private async Task AcceptAsync()
    {
        var sessions = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                sessions.Add(ServeAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        await Task.WhenAll(sessions);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            while (true)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(stream, 4));
                var body = await ReadAsync(stream, length - 4);
                var code = BinaryPrimitives.ReadInt32BigEndian(body);
                if (code is SslRequestCode or GssEncRequestCode)
                {
                    await stream.WriteAsync("N"u8.ToArray(), _stop.Token);
                    continue;
                }

                _startupUsers.Enqueue(StartupParameter(body, "user"));
                break;
            }

            var request = new byte[_ask == Ask.Md5 ? 13 : 9];
            request[0] = (byte)'R';
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(1), request.Length - 1);
            BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(5), (int)_ask);
            if (_ask == Ask.Md5)
            {
                "salt"u8.CopyTo(request.AsSpan(9));
            }

            await stream.WriteAsync(request, _stop.Token);
            while (true)
            {
                var type = (char)(await ReadAsync(stream, 1))[0];
                _received.Enqueue(type);
                var length = BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(stream, 4));
                await ReadAsync(stream, length - 4);
                if (type == 'p')
                {
                    await stream.WriteAsync(FatalError("28P01", "password authentication failed"), _stop.Token);
                    return;
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException or SocketException)
        {
            // The client hung up, which is what a client that refuses to send a password does.
        }
    }

    private async Task<byte[]> ReadAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, _stop.Token);
        return buffer;
    }

    private static string StartupParameter(byte[] body, string name)
    {
        var parts = Encoding.UTF8.GetString(body, 4, body.Length - 4).Split('\0');
        for (var i = 0; i + 1 < parts.Length; i += 2)
        {
            if (parts[i] == name)
            {
                return parts[i + 1];
            }
        }

        return "";
    }

    private static byte[] FatalError(string sqlState, string message)
    {
        var fields = Encoding.UTF8.GetBytes($"SFATAL\0VFATAL\0C{sqlState}\0M{message}\0\0");
        var error = new byte[5 + fields.Length];
        error[0] = (byte)'E';
        BinaryPrimitives.WriteInt32BigEndian(error.AsSpan(1), 4 + fields.Length);
        fields.CopyTo(error, 5);
        return error;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
