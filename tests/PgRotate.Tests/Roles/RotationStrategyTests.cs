using System.Text.RegularExpressions;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Secrets;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Roles;

/// <summary>Each rotation strategy is a type; the stored name maps to it in one place and nowhere else branches on it.</summary>
public sealed partial class RotationStrategyTests
{
    private static Secret Alternating => new("s/app", "t", Strategy.Alternating, RoleName.Parse("app"), RoleName.Parse("app_a"), RoleName.Parse("app_b"),
        null, null, null, Adoption.None, DateTimeOffset.UnixEpoch, null);

    private static Secret Single => new("s/legacy", "t", Strategy.Single, RoleName.Parse("legacy"), RoleName.Parse("legacy"), null,
        null, null, null, Adoption.None, DateTimeOffset.UnixEpoch, null);

    [Fact]
    public void Every_stored_strategy_name_maps_to_a_strategy_of_that_kind()
    {
        foreach (var kind in Enum.GetValues<Strategy>())
        {
            Assert.Equal(kind, RotationStrategies.For(kind).Kind);
        }
    }

    [Fact]
    public void Alternating_moves_to_the_other_login_acts_as_the_group_and_keeps_the_previous_login()
    {
        var strategy = RotationStrategies.For(Alternating);

        Assert.IsType<AlternatingStrategy>(strategy);
        Assert.Equal("app_b", strategy.NextLogin(Alternating, "app_a").Value);
        Assert.Equal("app_a", strategy.NextLogin(Alternating, "app_b").Value);
        Assert.Equal("app", strategy.ActsAs(Alternating).Value);
        Assert.Equal(["app", "app_a", "app_b"], strategy.ManagedRoles(Alternating).Select(r => r.Value));
        Assert.True(strategy.KeepsPrevious);
        Assert.False(strategy.ReplacesCurrentInPlace);
        Assert.Equal("CREATE ROLE \"app\" NOLOGIN", strategy.RecreateGroup(Alternating)?.Text);
    }

    [Fact]
    public void Single_changes_its_one_role_in_place_and_keeps_no_previous_version()
    {
        var strategy = RotationStrategies.For(Single);

        Assert.IsType<SingleStrategy>(strategy);
        Assert.Equal("legacy", strategy.NextLogin(Single, "legacy").Value);
        Assert.Equal("legacy", strategy.ActsAs(Single).Value);
        Assert.Equal(["legacy"], strategy.ManagedRoles(Single).Select(r => r.Value));
        Assert.False(strategy.KeepsPrevious);
        Assert.True(strategy.ReplacesCurrentInPlace);
        Assert.True(strategy.GroupIsTheLogin);
        Assert.Null(strategy.RecreateGroup(Single));
    }

    [Fact]
    public void No_code_outside_the_strategy_types_branches_on_a_strategy_name()
    {
        // Besides the strategies themselves: the stored name (Secrets/Strategy.cs) and its wire name (Wire/ContractMapping.cs),
        // which map one enum to another and decide no behaviour.
        var allowed = new[] { "Roles/RotationStrategies.cs", "Roles/AlternatingStrategy.cs", "Roles/SingleStrategy.cs", "Secrets/Strategy.cs", "Wire/ContractMapping.cs" };
        var branches = RepositoryFiles.CodeIn("src")
            .Where(f => !allowed.Any(a => f.Path.Replace('\\', '/').EndsWith(a, StringComparison.Ordinal)))
            .SelectMany(f => f.Lines.Where(l => StrategyBranch().IsMatch(l)).Select(l => $"{f.Path}: {l.Trim()}"))
            .ToList();

        Assert.Empty(branches);
    }

    [GeneratedRegex(@"\bStrategy\.(Single|Alternating)\b")]
    private static partial Regex StrategyBranch();
}
