using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;

namespace PgRotate.Targets;

/// <summary>
/// Splits what a DBA typed for <c>target add --conn</c> (Npgsql key=value pairs or a <c>postgresql://</c> URL) into a
/// connection string without the password, the admin username, and the password. Error messages never repeat the
/// input, which may hold the password.
/// </summary>
public static class AdminConnection
{
    private const string Example = "expected key=value pairs such as \"Host=db.internal;Port=5432;Database=app;Username=rotator\", or postgresql://rotator@db.internal:5432/app";

    public static (string ConnectionString, string Username, SecretText? Password) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw PgRotateException.InvalidInput($"connection string is empty; {Example}");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(text)
                : new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or UriFormatException or OverflowException)
        {
            // Npgsql's message can quote the offending part of the input, which may be the password: name nothing.
            throw PgRotateException.InvalidInput($"malformed connection string; {Example}");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw PgRotateException.InvalidInput($"connection string names no Host; {Example}");
        }

        if (builder.Port is < 1 or > 65535)
        {
            throw PgRotateException.InvalidInput($"connection string names port {builder.Port}, outside 1-65535; {Example}");
        }

        if (string.IsNullOrWhiteSpace(builder.Username))
        {
            throw PgRotateException.InvalidInput($"connection string names no Username (the admin role pgrotate changes roles with); {Example}");
        }

        var password = string.IsNullOrEmpty(builder.Password) ? null : new SecretText(builder.Password);
        var username = builder.Username;
        builder.Remove("Password");
        builder.Remove("Username");
        return (builder.ConnectionString, username, password);
    }

    public static NpgsqlConnectionStringBuilder FromUrl(string text)
    {
        var uri = new Uri(text);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(kv[0]) switch { "sslmode" => "SSL Mode", var k => k }] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }

        return builder;
    }
}
