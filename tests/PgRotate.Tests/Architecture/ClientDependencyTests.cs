using System.Xml.Linq;
using PgRotate.Client;

namespace PgRotate.Tests.Architecture;

/// <summary>
/// The client package depends only on Npgsql, the contracts and Microsoft.Extensions abstractions: a service that takes
/// it never pulls in the engine, a store, SQLite or ASP.NET Core.
/// </summary>
public sealed class ClientDependencyTests
{
    private static readonly string[] Allowed = ["Npgsql", "PgRotate.Contracts", "Microsoft.Extensions."];

    [Fact]
    public void The_client_project_declares_only_npgsql_the_contracts_and_extensions_abstractions()
    {
        var declared = XDocument.Load(ProjectFile()).Descendants()
            .Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference" or "FrameworkReference" or "Reference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .Select(include => include.EndsWith(".csproj", StringComparison.Ordinal) ? Path.GetFileNameWithoutExtension(include) : include)
            .ToList();

        Assert.NotEmpty(declared);
        Assert.All(declared, name => Assert.True(IsAllowed(name), $"PgRotate.Client declares {name}"));
    }

    [Fact]
    public void The_client_assembly_references_no_pgrotate_engine_store_sqlite_or_aspnet_core()
    {
        var compiled = typeof(PgRotateApiClient).Assembly.GetReferencedAssemblies().Select(a => a.Name!);

        Assert.All(compiled, name => Assert.True(
            IsAllowed(name) || name.StartsWith("System", StringComparison.Ordinal) || name == "netstandard", $"PgRotate.Client references {name}"));
    }

    private static bool IsAllowed(string name) =>
        Allowed.Any(a => a.EndsWith('.') ? name.StartsWith(a, StringComparison.Ordinal) : name == a)
        && !name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal);

    private static string ProjectFile()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "pgrotate.slnx")))
            {
                return Path.Combine(folder.FullName, "src", "PgRotate.Client", "PgRotate.Client.csproj");
            }
        }

        throw new InvalidOperationException($"no pgrotate.slnx above {AppContext.BaseDirectory}");
    }
}
