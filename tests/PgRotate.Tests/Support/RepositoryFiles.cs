namespace PgRotate.Tests.Support;

/// <summary>The repository's own source files, for tests that hold the code to its layering rules.</summary>
public static class RepositoryFiles
{
    public static string Root
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "pgrotate.slnx")))
                {
                    return folder.FullName;
                }
            }

            throw new InvalidOperationException("pgrotate.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The C# files under <paramref name="folder"/> (relative to the root), build output excluded, with their lines of code (doc comments left out).</summary>
    public static IEnumerable<(string Path, IReadOnlyList<string> Lines)> CodeIn(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (Path.GetRelativePath(Root, p), (IReadOnlyList<string>)File.ReadAllLines(p)
                .Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)).ToList()));
}
