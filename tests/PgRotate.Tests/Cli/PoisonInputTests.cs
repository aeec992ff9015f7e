using PgRotate.Tests.Support;

namespace PgRotate.Tests.Cli;

/// <summary>
/// Input that used to get past parsing and fail later (after roles were created, or on every rotation), or to fail
/// with a .NET type name: each is now exit 2 with one plain line, and changes nothing on the server or in the store.
/// </summary>
public sealed class PoisonInputTests(PostgresFixture postgres)
{
    private const string Secret = "orders/app";

    [Theory]
    [InlineData("--grace", "500000w")]
    [InlineData("--every", "500000w")]
    [InlineData("--grace", "3651d")]
    [InlineData("--every", "700000w700000w700000w")]
    [InlineData("--every", "٣d")]
    [InlineData("--cron", "*/10 * * * * *")]
    [InlineData("--cron", "0 0 30 2 *")]
    public async Task A_secret_add_with_an_unbounded_duration_or_schedule_is_refused_before_any_role_is_created(string option, string value)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");

        var line = (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, option, value)).FailsWith(2);

        AssertPlain(line);
        Assert.Equal("", await Rotation.RoleRows.SnapshotAsync(postgres, group));
        (await sandbox.RunAsync("secret", "show", Secret)).FailsWith(3);
    }

    [Fact]
    public async Task A_grace_longer_than_the_rotation_interval_is_refused_at_add()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        var group = Unique.Name("app");

        var line = (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", group, "--every", "1h", "--grace", "2h")).FailsWith(2);

        Assert.Contains("--grace 2h is longer than the 1h between rotations", line);
        Assert.Equal("", await Rotation.RoleRows.SnapshotAsync(postgres, group));
    }

    [Fact]
    public async Task A_grace_longer_than_the_shortest_gap_of_a_cron_schedule_is_refused_at_add()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        // Mondays and Tuesdays at 03:00: the shortest gap is a day, although most gaps are six.
        var line = (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"), "--cron", "0 3 * * 1,2", "--grace", "2d")).FailsWith(2);

        Assert.Contains("is longer than the 1d between rotations", line);
    }

    [Fact]
    public async Task An_arabic_indic_digit_in_a_duration_is_a_plain_usage_error()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("rotate", "--all-due", "--wait", "٣d")).FailsWith(2);

        AssertPlain(line);
        Assert.Contains("is not a duration", line);
    }

    [Fact]
    public async Task A_parallel_count_too_large_for_an_int_is_a_plain_usage_error()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("rotate", "--all-due", "--parallel", "99999999999")).FailsWith(2);

        AssertPlain(line);
        Assert.StartsWith("pgrotate: --parallel takes a whole number from 1 to 64, not '99999999999'", line);
    }

    [Fact]
    public async Task A_worker_count_that_is_not_a_number_is_a_plain_usage_error()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("demo", "--workers", "many")).FailsWith(2);

        AssertPlain(line);
        Assert.StartsWith("pgrotate: --workers takes a whole number from 1 to 64", line);
    }

    [Fact]
    public async Task Init_with_a_folder_as_the_store_says_to_give_a_file_path_and_creates_nothing()
    {
        using var sandbox = new CliSandbox(postgres);
        var folder = Directory.CreateDirectory(Path.Combine(sandbox.Directory, "state")).FullName;

        var line = (await sandbox.RunAsync("init", "--store", folder)).FailsWith(2);

        Assert.Equal($"pgrotate: the store path '{folder}' is a folder; give a file path such as '{Path.Combine(folder, "pgrotate.db")}'", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        Assert.False(File.Exists(sandbox.StorePath));
    }

    [Fact]
    public async Task An_unknown_command_is_named_as_one()
    {
        using var sandbox = new CliSandbox(postgres);

        var line = (await sandbox.RunAsync("bogus")).FailsWith(2);

        Assert.StartsWith("pgrotate: unknown command 'bogus'; the commands are init, target, secret, rotate", line);
    }

    [Theory]
    [InlineData("secret", "show", "orders/app\n")]
    [InlineData("rotate", "orders/app\n")]
    [InlineData("target", "rotate-admin", "orders-db\n")]
    public async Task A_name_with_a_trailing_newline_is_refused(params string[] args)
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();

        var line = (await sandbox.RunAsync(args)).FailsWith(2);

        Assert.Contains("\\u000a' is not allowed", line);
    }

    [Fact]
    public async Task A_rotation_grace_over_the_bound_is_refused_before_anything_changes()
    {
        using var sandbox = await new CliSandbox(postgres).InitializedWithTargetAsync();
        (await sandbox.RunAsync("secret", "add", Secret, "--target", sandbox.TargetName, "--group", Unique.Name("app"))).Ok();

        var line = (await sandbox.RunAsync("rotate", Secret, "--grace", "500000w")).FailsWith(2);

        AssertPlain(line);
        Assert.Contains("is too long: at most 10 years (3650d)", line);
        Assert.Equal(1, (await Rotation.SecretState.ReadAsync(sandbox, Secret)).Highest);
    }

    /// <summary>No .NET type or exception name, the way parse failures used to read.</summary>
    private static void AssertPlain(string line)
    {
        Assert.DoesNotContain("System.", line);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain("unexpected error", line);
    }
}
