using System.Reflection;
using System.Text.RegularExpressions;
using PgRotate.Contracts;
using PgRotate.Tests.Support;
using PgRotate.Wire;

namespace PgRotate.Tests.Architecture;

/// <summary>
/// Every command writes JSON the one way: a record of <see cref="PgRotate.Contracts"/>, serialised by
/// <see cref="PgRotateJson"/> through the CLI's JsonOutput. A command that builds its own shape (an anonymous object, a
/// dictionary, a JSON writer) would leave the wire contract without anyone noticing; these source scans catch it.
/// </summary>
public sealed partial class JsonOutputTests
{
    private const string CliSource = "src/PgRotate.Cli";
    private const string JsonOutputFile = "Output/JsonOutput.cs";

    [Fact]
    public void No_cli_code_but_JsonOutput_uses_a_json_api_or_writes_json_by_hand_and_JsonOutput_uses_PgRotateJson()
    {
        var files = RepositoryFiles.CodeIn(CliSource).ToList();

        var elsewhere = files
            .Where(f => !IsJsonOutput(f.Path))
            .SelectMany(f => f.Lines.Where(l => JsonApi().IsMatch(l)).Select(l => $"{f.Path}: {l.Trim()}"))
            .ToList();

        Assert.Empty(elsewhere);
        var jsonOutput = string.Join('\n', Assert.Single(files, f => IsJsonOutput(f.Path)).Lines);
        Assert.Contains("=> PgRotateJson.Serialize(value);", jsonOutput);
        Assert.Contains("=> PgRotateJson.SerializeLine(value);", jsonOutput);
        Assert.DoesNotContain("JsonSerializer", jsonOutput);
    }

    [Fact]
    public void Every_json_a_command_writes_is_a_contract_record()
    {
        var mappings = ContractMappingMethods();
        var calls = RepositoryFiles.CodeIn(CliSource)
            .Where(f => !IsJsonOutput(f.Path))
            .SelectMany(f => SerializeArguments(string.Join('\n', f.Lines)).Select(a => (f.Path, Argument: a.Argument, a.Expanded)))
            .ToList();

        Assert.NotEmpty(calls);
        var wrong = calls.Where(c => !IsContract(c.Expanded, mappings)).Select(c => $"{c.Path}: JsonOutput.Serialize…({c.Argument})").ToList();

        Assert.Empty(wrong);
    }

    /// <summary>What makes a ContractMapping call above mean a contract record: every one of its methods returns one (or a list of them).</summary>
    [Fact]
    public void Every_contract_mapping_returns_a_contract_type()
    {
        var methods = typeof(ContractMapping).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && !m.Name.Contains('<', StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(methods);
        Assert.All(methods, m => Assert.True(ReturnsContract(m), $"ContractMapping.{m.Name} returns {m.ReturnType}"));
    }

    /// <summary>
    /// An argument is a contract record when it builds nothing but contract types (<c>new Contracts.X(…)</c>, no anonymous
    /// object, dictionary or target-typed <c>new()</c>) and it constructs one or calls a mapping: a method of
    /// <see cref="ContractMapping"/>, or one of the CLI's own (a command may map its own types), that returns a contract type.
    /// </summary>
    private static bool IsContract(string argument, IReadOnlySet<string> mappings)
    {
        if (AnonymousOrUntyped().IsMatch(argument))
        {
            return false;
        }

        var constructed = Construction().Matches(argument).Select(m => m.Groups["type"].Value).ToList();
        if (constructed.Any(t => typeof(PgRotateJson).Assembly.GetType("PgRotate.Contracts." + t) is null))
        {
            return false;
        }

        return constructed.Count > 0 || MethodCall().Matches(argument).Any(m => mappings.Contains(m.Groups["name"].Value));
    }

    private static HashSet<string> ContractMappingMethods() =>
        [.. typeof(PgRotate.Cli.CliApp).Assembly.GetTypes().Append(typeof(ContractMapping))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(ReturnsContract)
            .Select(m => m.Name)];

    /// <summary>A contract type, or a list or task of them.</summary>
    private static bool ReturnsContract(MethodInfo method) =>
        method.ReturnType.Assembly == typeof(PgRotateJson).Assembly || method.ReturnType.GetGenericArguments().Any(a => a.Assembly == typeof(PgRotateJson).Assembly);

    /// <summary>
    /// The argument of each <c>JsonOutput.Serialize(…)</c> or <c>SerializeLine(…)</c> in <paramref name="code"/>, and the same with a local variable
    /// it names replaced by that variable's initialiser (<c>var events = …;</c>), so a record mapped a line earlier counts.
    /// </summary>
    private static IEnumerable<(string Argument, string Expanded)> SerializeArguments(string code)
    {
        foreach (Match call in SerializeCall().Matches(code))
        {
            var start = call.Index + call.Length;
            var depth = 1;
            var end = start;
            for (; end < code.Length && depth > 0; end++)
            {
                depth += code[end] switch { '(' => 1, ')' => -1, _ => 0 };
            }

            var argument = code[start..(end - 1)].Trim();
            var expanded = Identifier().IsMatch(argument) && Regex.Match(code, $@"\bvar {argument} = (?<init>[^;]+);") is { Success: true } local
                ? local.Groups["init"].Value
                : argument;
            yield return (argument, expanded);
        }
    }

    [GeneratedRegex(@"JsonOutput\.Serialize(Line)?\(")]
    private static partial Regex SerializeCall();

    private static bool IsJsonOutput(string path) => path.Replace('\\', '/').EndsWith(JsonOutputFile, StringComparison.Ordinal);

    /// <summary>A JSON API, or JSON written by hand in a string (<c>"{\"name\": …"</c> or <c>$"{{\"name\": …"</c>).</summary>
    [GeneratedRegex(@"System\.Text\.Json|JsonSerializer|Utf8JsonWriter|JsonNode|JsonObject|JsonArray|JsonDocument|PgRotateJson\.Serialize|\{\{?\\""")]
    private static partial Regex JsonApi();

    [GeneratedRegex(@"\bnew\s*(\{|\(|\[|Dictionary\b|SortedDictionary\b|ExpandoObject\b)")]
    private static partial Regex AnonymousOrUntyped();

    [GeneratedRegex(@"\bnew\s+(?:PgRotate\.)?(?:Contracts\.)?(?<type>[A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex Construction();

    /// <summary>A call, <c>x.Name(</c> or <c>Name(</c> (a constructor's type name matches too, and is checked above).</summary>
    [GeneratedRegex(@"\b(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex MethodCall();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}
