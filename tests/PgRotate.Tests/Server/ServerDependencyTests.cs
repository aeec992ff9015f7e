using System.Xml.Linq;

namespace PgRotate.Tests.Server;

/// <summary>The server is handed a store: it names no concrete store and not the throwaway cluster, so replicas and tests choose.</summary>
public sealed class ServerDependencyTests
{
    private static readonly string[] Forbidden = ["PgRotate.Store.Sqlite", "PgRotate.Store.Postgres", "PgRotate.Local", "PgRotate.Cli", "pgrotate", "Microsoft.Data.Sqlite"];

    [Fact]
    public void The_server_neither_declares_nor_references_a_concrete_store_the_cluster_or_the_cli()
    {
        var compiled = typeof(PgRotate.Server.Hosting.ServerApp).Assembly.GetReferencedAssemblies().Select(a => a.Name!);
        var declared = XDocument.Load(ProjectFile()).Descendants()
            .Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension((string?)e.Attribute("Include") ?? ""));

        Assert.Empty(compiled.Concat(declared).Where(name => Forbidden.Contains(name, StringComparer.OrdinalIgnoreCase)).Distinct());
    }

    private static string ProjectFile()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "pgrotate.slnx")))
            {
                return Path.Combine(folder.FullName, "src", "PgRotate.Server", "PgRotate.Server.csproj");
            }
        }

        throw new InvalidOperationException($"no pgrotate.slnx above {AppContext.BaseDirectory}");
    }
}
