using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>Files the agent reads at start (templates, its config): one that cannot be read is bad input, said in one line.</summary>
internal static class InputFile
{
    /// <param name="what">What the file is, for the message: "the template", "the agent config".</param>
    public static async Task<string> ReadAsync(string path, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PgRotateException.InvalidInput($"cannot read {what} {path}: {e.Message}");
        }
    }
}
