namespace PgRotate.Tests.Support;

/// <summary>Names no other test uses, so tests sharing one cluster never meet.</summary>
public static class Unique
{
    public static string Name(string prefix) => $"{prefix}_{Guid.NewGuid().ToString("N")[..10]}";
}
