using System.Text;
using PgRotate.Contracts;
using PgRotate.Errors;

namespace PgRotate.Cli.Commands.Agent;

/// <summary>
/// One file the agent keeps current and everything written into it, in the order given. Several secrets' service
/// sections (or .pgpass lines, or pgbouncer databases) in one file are rendered together and written once, so two
/// secrets rotating at the same moment never race to replace the file.
/// </summary>
internal sealed class RenderedFile
{
    private RenderedFile(string path, IReadOnlyList<AgentOutput> outputs)
    {
        Path = path;
        Outputs = outputs;
        Secrets = outputs.Select(o => o.Secret).ToHashSet(StringComparer.Ordinal);
    }

    public string Path { get; }
    public IReadOnlyList<AgentOutput> Outputs { get; }
    public IReadOnlySet<string> Secrets { get; }
    public bool IsPgBouncer => Outputs[0].Renderer is PgBouncerDatabaseRenderer;

    /// <summary>Groups outputs by file; refuses two outputs in one file unless both are of one kind that can share it.</summary>
    public static IReadOnlyList<RenderedFile> Group(IEnumerable<AgentOutput> outputs)
    {
        var files = new List<RenderedFile>();
        foreach (var group in outputs.GroupBy(o => o.Path, StringComparer.Ordinal))
        {
            var list = group.ToList();
            if (list.Count > 1 && (list.Any(o => o.Kind != list[0].Kind) || !list[0].Renderer.Combinable))
            {
                throw PgRotateException.InvalidInput(
                    $"{group.Key} is named by several outputs ({string.Join(", ", list.Select(o => $"{o.Secret} as {o.Kind}"))}); only service, pgpass or pgbouncer outputs of several secrets can share a file");
            }

            if (list.DistinctBy(o => o.Secret + "\n" + (o.Renderer as PgBouncerDatabaseRenderer)?.Alias, StringComparer.Ordinal).Count() != list.Count)
            {
                throw PgRotateException.InvalidInput($"{group.Key} is given the same secret twice");
            }

            files.Add(new RenderedFile(group.Key, list));
        }

        return files;
    }

    /// <summary>The file's content from each secret's latest credential; null while one of them has none yet.</summary>
    public string? Render(IReadOnlyDictionary<string, Credential> latest)
    {
        if (!Secrets.All(latest.ContainsKey))
        {
            return null;
        }

        var content = new StringBuilder(Outputs[0].Renderer.FileHeader);
        foreach (var output in Outputs)
        {
            content.Append(output.Renderer.Render(latest[output.Secret]));
        }

        return content.ToString();
    }
}
