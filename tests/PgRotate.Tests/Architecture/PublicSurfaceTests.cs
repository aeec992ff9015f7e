using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using PgRotate.Local;
using PgRotate.Server.Hosting;
using PgRotate.Store.Postgres;
using PgRotate.Store.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Architecture;

/// <summary>
/// The libraries' public surface is what another project of the product uses, nothing more: a public type in the core,
/// a store, the throwaway cluster or the server must be named by the CLI, the server, a store, the throwaway cluster or
/// a benchmark (the tests do not count; they see internals). Checked in the compiled metadata: a project that
/// uses a type of another assembly carries a type reference to it. A type that appears in a public signature of such a
/// type (a record's member, a parameter, a result) is public because that one is. Internals are shared with the tests only (and with
/// the benchmark for the core), never with a product project, which would hide the real surface.
/// </summary>
public sealed class PublicSurfaceTests
{
    /// <summary>
    /// Public types whose only use elsewhere is a constant: the compiler copies a constant's value into the project that
    /// uses it, so no type reference is left to find.
    /// </summary>
    private static readonly HashSet<string> UsedOnlyForConstants =
    [
        "PgRotate.Postgres.TargetMetrics",   // the server subscribes to its meter by name
        "PgRotate.Audit.AuditActions",       // the CLI and the server record audit actions by name
        "PgRotate.Leases.LeaseMetrics",      // the server subscribes to its meter by name
        "PgRotate.Leases.LeaseRevocationReasons", // the CLI ends leases giving the reason by name
    ];

    private static readonly Assembly Core = typeof(Errors.PgRotateException).Assembly;
    private static readonly Assembly Cli = typeof(global::PgRotate.Cli.CliApp).Assembly;

    /// <summary>The libraries whose surface is checked; each one's consumers are the product projects other than itself.</summary>
    private static readonly Assembly[] Libraries =
    [
        Core,
        typeof(SqliteSecretStore).Assembly,
        typeof(PostgresSecretStore).Assembly,
        typeof(ThrowawayCluster).Assembly,
        typeof(ServerApp).Assembly,
    ];

    public static TheoryData<string> LibraryNames => [.. Libraries.Select(a => a.GetName().Name!)];

    [Theory]
    [MemberData(nameof(LibraryNames))]
    public void Every_public_type_is_used_by_another_product_project(string library)
    {
        var assembly = Libraries.Single(a => a.GetName().Name == library);
        var consumers = Libraries.Append(Cli).Where(a => a != assembly).Select(a => a.Location).Concat(Benchmarks());
        var referenced = consumers.SelectMany(c => TypesReferencedFrom(c, library)).ToHashSet(StringComparer.Ordinal);

        var reachable = ReachableThroughSignatures(assembly, referenced);

        var unused = PublicTopLevelTypes(assembly)
            .Where(name => !reachable.Contains(name) && !UsedOnlyForConstants.Contains(name))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(unused.Count == 0,
            $"public in {library} but used by no other product project (make them internal): {string.Join(", ", unused)}");
    }

    [Theory]
    [MemberData(nameof(LibraryNames))]
    public void Internals_are_visible_only_to_the_tests_and_for_the_core_the_benchmark(string library)
    {
        var assembly = Libraries.Single(a => a.GetName().Name == library);
        string[] allowed = assembly == Core ? ["PgRotate.Tests", "PgRotate.Bench"] : ["PgRotate.Tests"];

        var friends = assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();

        Assert.Empty(friends.Except(allowed));
    }

    [Fact]
    public void The_core_exposes_public_types_that_its_consumers_use()
    {
        // Guards the check above against passing vacuously (an empty reference scan would flag everything, an empty
        // type list nothing).
        var corePublic = PublicTopLevelTypes(Core).ToList();

        Assert.Contains("PgRotate.Store.ISecretStore", corePublic);
        Assert.DoesNotContain("PgRotate.Postgres.RoleState", corePublic);
        Assert.Contains("PgRotate.Store.ISecretStore", TypesReferencedFrom(typeof(SqliteSecretStore).Assembly.Location, Core.GetName().Name!));
    }

    private static IEnumerable<string> PublicTopLevelTypes(Assembly assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var metadata = pe.GetMetadataReader();
        return [.. metadata.TypeDefinitions
            .Select(metadata.GetTypeDefinition)
            .Where(t => (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            .Select(t => FullName(metadata.GetString(t.Namespace), metadata.GetString(t.Name)))];
    }

    /// <summary>Full names of the types of <paramref name="library"/> that the assembly file <paramref name="consumer"/> refers to.</summary>
    private static IEnumerable<string> TypesReferencedFrom(string consumer, string library)
    {
        using var pe = new PEReader(File.OpenRead(consumer));
        var metadata = pe.GetMetadataReader();
        return [.. metadata.TypeReferences
            .Select(metadata.GetTypeReference)
            .Where(t => t.ResolutionScope.Kind == HandleKind.AssemblyReference
                && metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)t.ResolutionScope).Name) == library)
            .Select(t => FullName(metadata.GetString(t.Namespace), metadata.GetString(t.Name)))];
    }

    /// <summary>
    /// The names in <paramref name="used"/> and, transitively, every type of <paramref name="assembly"/> in the public
    /// signatures (fields, properties, parameters, results) of those types.
    /// </summary>
    private static HashSet<string> ReachableThroughSignatures(Assembly assembly, IEnumerable<string> used)
    {
        var reachable = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<Type>(used.Select(name => assembly.GetType(name)).OfType<Type>());
        while (pending.TryDequeue(out var type))
        {
            if (!reachable.Add(type.FullName!))
            {
                continue;
            }

            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                foreach (var mentioned in SignatureTypes(member).SelectMany(Unwrap).Where(t => t.Assembly == assembly && t.IsPublic))
                {
                    pending.Enqueue(mentioned);
                }
            }
        }

        return reachable;
    }

    private static IEnumerable<Type> SignatureTypes(MemberInfo member) => member switch
    {
        FieldInfo f => [f.FieldType],
        PropertyInfo p => [p.PropertyType],
        MethodInfo m => [m.ReturnType, .. m.GetParameters().Select(x => x.ParameterType)],
        ConstructorInfo c => c.GetParameters().Select(x => x.ParameterType),
        EventInfo e => e.EventHandlerType is { } handler ? [handler] : [],
        _ => [],
    };

    /// <summary>The type itself and those inside it: element types of arrays and by-ref parameters, generic arguments.</summary>
    private static IEnumerable<Type> Unwrap(Type type) =>
        type.HasElementType ? Unwrap(type.GetElementType()!)
        : type.IsGenericType ? [type.GetGenericTypeDefinition(), .. type.GetGenericArguments().SelectMany(Unwrap)]
        : [type];

    /// <summary>
    /// The benchmarks' assemblies, built by the same solution build as the tests, in the same configuration (the tests
    /// do not reference them, so they are read from their own output folders).
    /// </summary>
    private static IEnumerable<string> Benchmarks()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        return new[] { "PgRotate.Bench", "PgRotate.Bench.Server" }.Select(name =>
        {
            var file = Path.Combine(RepositoryFiles.Root, "bench", name, "bin", configuration, framework, name + ".dll");
            Assert.True(File.Exists(file), $"{file} is missing: build the whole solution (pgrotate.slnx) before the tests");
            return file;
        });
    }

    private static string FullName(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;
}
