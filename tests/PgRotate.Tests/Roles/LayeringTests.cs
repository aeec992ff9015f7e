using System.Text.RegularExpressions;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Roles;

/// <summary>
/// Core/Postgres is the driver adapter and knows nothing of secrets or the pattern; the pattern's logic is in
/// Core/Roles; rotation reaches the target only through the target-operations seam, never sideways through setup.
/// </summary>
public sealed partial class LayeringTests
{
    [Fact]
    public void The_Postgres_adapter_uses_no_secret_pattern_rotation_or_store_type()
    {
        var offending = RepositoryFiles.CodeIn("src/PgRotate.Core/Postgres")
            .SelectMany(f => f.Lines.Where(l => HigherLayer().IsMatch(l)).Select(l => $"{f.Path}: {l.Trim()}"))
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void Rotation_reaches_the_target_through_the_seam_not_through_setup_or_the_driver()
    {
        var offending = RepositoryFiles.CodeIn("src/PgRotate.Core/Rotation")
            .SelectMany(f => f.Lines.Where(l => l.Contains("PgRotate.Setup", StringComparison.Ordinal)
                                                || l.Contains("SecretSetup", StringComparison.Ordinal)
                                                || l.Contains("Npgsql", StringComparison.Ordinal))
                .Select(l => $"{f.Path}: {l.Trim()}"))
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void The_pattern_logic_lives_in_Roles()
    {
        foreach (var type in new[] { "RoleSetupPlanner", "DriftDoctor", "CredentialTester", "RotatorPrivileges", "RolePlan" })
        {
            Assert.True(File.Exists(Path.Combine(RepositoryFiles.Root, "src/PgRotate.Core/Roles", type + ".cs")), type);
            Assert.False(File.Exists(Path.Combine(RepositoryFiles.Root, "src/PgRotate.Core/Postgres", type + ".cs")), type);
        }
    }

    [GeneratedRegex(@"\bPgRotate\.(Secrets|Roles|Rotation|Setup|Store|Scheduling)\b|\b(Secrets|Roles|Rotation|Setup|Store|Scheduling)\.[A-Z]")]
    private static partial Regex HigherLayer();
}
