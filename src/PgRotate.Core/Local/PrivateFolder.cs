namespace PgRotate.Local;

/// <summary>Creates a folder and any missing parents as 0700: what holds a store or a key is nobody else's to list.</summary>
public static class PrivateFolder
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Create(string path)
    {
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; its parents would get the
        // umask's default (often 0755), so each missing folder is created on its own, outermost first.
        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
            if (Path.GetDirectoryName(folder) is null)
            {
                break;
            }
        }

        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, OwnerOnly);
        }
    }
}
