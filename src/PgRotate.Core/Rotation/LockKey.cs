namespace PgRotate.Rotation;

/// <summary>What a <see cref="IRotationLock"/> locks: <see cref="Value"/> identifies it, <see cref="Description"/> names it in messages.</summary>
public sealed record LockKey(string Value, string Description)
{
    /// <summary>The rotation of a secret.</summary>
    public static LockKey Secret(string name) => new(name, "secret " + name);

    /// <summary>The admin password of a target (<c>target rotate-admin</c>, <c>target update</c>).</summary>
    public static LockKey TargetAdmin(string name) => new("target:" + name, "the admin password of target " + name);
}
