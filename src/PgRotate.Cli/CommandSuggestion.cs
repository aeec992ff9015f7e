namespace PgRotate.Cli;

/// <summary>The command a mistyped word most likely meant: the closest by edit distance, if it is close enough to be a typo.</summary>
public static class CommandSuggestion
{
    public static string? Nearest(string word, IEnumerable<string> commands)
    {
        var lowered = word.ToLowerInvariant();
        var best = commands
            .Select(c => (Command: c, Distance: lowered.Length > 2 && c.StartsWith(lowered, StringComparison.Ordinal) ? 0 : Distance(lowered, c)))
            .OrderBy(x => x.Distance).ThenBy(x => x.Command, StringComparer.Ordinal)
            .FirstOrDefault();
        // Two edits for a word of five letters or more, one below: beyond that the "suggestion" is a guess.
        return best.Command is not null && best.Distance <= (word.Length >= 5 ? 2 : 1) ? best.Command : null;
    }

    /// <summary>Levenshtein distance (insert, delete, substitute), one row at a time.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
