using System.CommandLine.Parsing;
using System.Globalization;
using PgRotate.Postgres;

namespace PgRotate.Cli;

/// <summary>
/// Whole-number options parsed with a plain message: System.CommandLine's own says "as expected type 'System.Int32'",
/// and a number too large for an int would read as a type error rather than as out of range.
/// </summary>
public static class WholeNumbers
{
    public static int Parse(ArgumentResult result, string option, int min, int max)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
        // ASCII digits only, and few enough of them that int.Parse cannot overflow.
        if (text.Length is > 0 and <= 9 && text.All(char.IsAsciiDigit) && int.Parse(text, CultureInfo.InvariantCulture) is var value && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"{option} takes a whole number from {min} to {max}, not {Sql.Printable(text)}");
        return min;
    }
}
