using System.Runtime.InteropServices;

namespace PgRotate.Local;

/// <summary>
/// Type, permission bits and owner of a path, without following a symbolic link at its end (lstat). .NET exposes the
/// mode and whether a path is a link, but not its owner, so on Linux this asks the kernel directly through statx(2),
/// whose result layout is the same on every architecture.
/// </summary>
public sealed record UnixFileStatus(bool IsSymbolicLink, bool IsDirectory, UnixFileMode Mode, uint? OwnerId)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;
    private const int StatxSize = 256;
    private const int UidOffset = 20;
    private const int ModeOffset = 28;
    private const int TypeMask = 0xF000;
    private const int TypeDirectory = 0x4000;
    private const int TypeSymbolicLink = 0xA000;
    private const int Enoent = 2;
    private const int Enotdir = 20;

    /// <summary>The status of <paramref name="path"/>, or null when nothing is there.</summary>
    public static UnixFileStatus? Read(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatx(path, out var status))
        {
            return status;
        }

        // Elsewhere (or a C library without statx): what .NET itself can tell (an lstat underneath), without the owner.
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return null;
        }

        return new UnixFileStatus(info.LinkTarget is not null, info is DirectoryInfo && info.LinkTarget is null, info.UnixFileMode, null);
    }

    /// <summary>The effective user id of this process (null where it cannot be asked).</summary>
    public static uint? EffectiveUserId()
    {
        try
        {
            return OperatingSystem.IsLinux() ? geteuid() : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static bool TryStatx(string path, out UnixFileStatus? status)
    {
        status = null;
        var buffer = new byte[StatxSize];
        int result;
        try
        {
            result = statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxMode | StatxUid, buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }

        if (result == 0)
        {
            // The kernel fills the structure in the machine's own byte order.
            var mode = MemoryMarshal.Read<ushort>(buffer.AsSpan(ModeOffset));
            var uid = MemoryMarshal.Read<uint>(buffer.AsSpan(UidOffset));
            status = new UnixFileStatus((mode & TypeMask) == TypeSymbolicLink, (mode & TypeMask) == TypeDirectory, (UnixFileMode)(mode & 0xFFF), uid);
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        if (error is Enoent or Enotdir)
        {
            return true;
        }

        throw new IOException($"cannot read the status of {path}: {Marshal.GetPInvokeErrorMessage(error)}");
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc.so.6")]
    private static extern uint geteuid();
}
