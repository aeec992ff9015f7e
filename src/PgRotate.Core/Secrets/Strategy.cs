namespace PgRotate.Secrets;

/// <summary>How a secret's credential changes on rotation.</summary>
public enum Strategy
{
    /// <summary>A NOLOGIN group role owns everything; two login roles take turns, each defaulting to the group.</summary>
    Alternating,

    /// <summary>One login role whose password changes in place (the rotator's own credential; apps that cannot change username).</summary>
    Single,
}

public static class StrategyNames
{
    /// <summary>The strategy of a secret added without <c>--strategy</c>.</summary>
    public const Strategy Default = Strategy.Alternating;

    public static string WireName(this Strategy strategy) => strategy switch
    {
        Strategy.Alternating => "alternating",
        Strategy.Single => "single",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    public static Strategy Parse(string text) => text switch
    {
        "alternating" => Strategy.Alternating,
        "single" => Strategy.Single,
        _ => throw Errors.PgRotateException.InvalidInput($"unknown strategy {Postgres.Sql.Printable(text)}: use alternating or single"),
    };
}
