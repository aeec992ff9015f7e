using System.Reflection;
using System.Xml.Linq;
using PgRotate.Contracts;

namespace PgRotate.Tests.Architecture;

/// <summary>
/// Which project may depend on what, checked twice: in the project files (what is declared, including what the restore
/// pulled in) and in the compiled assemblies (what is actually referenced). The contracts depend on nothing but .NET;
/// the core on neither SQLite, ASP.NET Core nor the throwaway cluster.
/// </summary>
public sealed class DependencyTests
{
    private static readonly string[] ForbiddenInCore = ["Microsoft.Data.Sqlite", "Microsoft.AspNetCore", "PgRotate.Local"];

    [Fact]
    public void The_contracts_project_declares_no_package_project_or_framework_reference()
    {
        var project = ProjectFile("PgRotate.Contracts");

        Assert.Empty(References(project));
        Assert.Empty(ImportedReferences());
        // What the restore resolved for it, including anything a shared props file might add.
        var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(project)!, "obj", "project.assets.json")));
        Assert.Empty(assets.RootElement.GetProperty("libraries").EnumerateObject());
    }

    [Fact]
    public void The_contracts_assembly_references_only_the_dotnet_runtime()
    {
        var references = typeof(PgRotateJson).Assembly.GetReferencedAssemblies().Select(a => a.Name!);

        Assert.All(references, name => Assert.True(name == "netstandard" || name.StartsWith("System", StringComparison.Ordinal), $"PgRotate.Contracts references {name}"));
    }

    [Fact]
    public void The_core_neither_declares_nor_references_sqlite_aspnet_core_or_the_throwaway_cluster()
    {
        var declared = References(ProjectFile("PgRotate.Core")).Select(r => Path.GetFileNameWithoutExtension(r.Include));
        var compiled = typeof(Errors.PgRotateException).Assembly.GetReferencedAssemblies().Select(a => a.Name!);

        Assert.Empty(declared.Concat(compiled).Where(name => ForbiddenInCore.Any(f => name.StartsWith(f, StringComparison.OrdinalIgnoreCase))).Distinct());
    }

    /// <summary>Every PackageReference, ProjectReference, FrameworkReference and Reference in a project file.</summary>
    private static List<(string Kind, string Include)> References(string projectFile) =>
        [.. XDocument.Load(projectFile).Descendants()
            .Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference" or "FrameworkReference" or "Reference")
            .Select(e => (e.Name.LocalName, (string?)e.Attribute("Include") ?? (string?)e.Attribute("Update") ?? ""))];

    /// <summary>References that the shared Directory.Build.props would add to every project, the contracts included.</summary>
    private static List<(string Kind, string Include)> ImportedReferences() => References(Path.Combine(RepositoryRoot(), "Directory.Build.props"));

    private static string ProjectFile(string name) => Path.Combine(RepositoryRoot(), "src", name, name + ".csproj");

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "pgrotate.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no pgrotate.slnx above {AppContext.BaseDirectory}");
    }
}
