using PgRotate.Cli.Commands.Demo;

namespace PgRotate.Tests.Demo;

/// <summary>The demo's search of the server log for generated passwords, which reads the log one line at a time.</summary>
public sealed class PasswordsInLogTests
{
    [Fact]
    public async Task Counts_each_password_found_once_wherever_it_stands_on_a_line_and_ignores_the_others()
    {
        string[] passwords = ["Abc123xyz", "Qrs456tuv", "Never789seen", "Abc123xyzLonger"];
        var log = new StringReader(string.Join('\n',
            "2026-11-26 LOG:  statement: SELECT 1",
            "Abc123xyz at the start of a line",
            "ALTER ROLE x PASSWORD 'Qrs456tuv'",
            "again: Abc123xyz and Qrs456tuv",
            "Abc123xyzLonger",
            "a partial Never789 is not one"));

        var found = await PasswordsInLogAsync(log, passwords, TestContext.Current.CancellationToken);

        Assert.Equal(3, found);
    }

    [Fact]
    public async Task A_log_without_any_of_the_passwords_has_none()
    {
        var log = new StringReader("LOG:  statement: ALTER ROLE \"app_a\" PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b'\nLOG:  disconnection");

        Assert.Equal(0, await PasswordsInLogAsync(log, ["Abc123xyz"], TestContext.Current.CancellationToken));
    }

    private static Task<int> PasswordsInLogAsync(TextReader log, string[] passwords, CancellationToken cancellationToken) =>
        PatternChecks.PasswordsInLogAsync(log, passwords, cancellationToken);
}
