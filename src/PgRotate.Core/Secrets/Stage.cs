namespace PgRotate.Secrets;

/// <summary>Where a version stands: which one clients get, which is being rolled out, which is in grace.</summary>
public enum Stage
{
    Pending,
    Current,
    Previous,

    /// <summary>A former previous whose grace has been handed on; its login is expired or reused.</summary>
    Retired,

    /// <summary>A pending version whose test failed; invalidated on the server and never promoted.</summary>
    Failed,
}

public static class StageNames
{
    public static string WireName(this Stage stage) => stage switch
    {
        Stage.Pending => "pending",
        Stage.Current => "current",
        Stage.Previous => "previous",
        Stage.Retired => "retired",
        Stage.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    public static Stage Parse(string text) => text switch
    {
        "pending" => Stage.Pending,
        "current" => Stage.Current,
        "previous" => Stage.Previous,
        "retired" => Stage.Retired,
        "failed" => Stage.Failed,
        _ => throw Errors.PgRotateException.InvalidInput($"unknown stage {Postgres.Sql.Printable(text)}: use current, previous or pending"),
    };
}
