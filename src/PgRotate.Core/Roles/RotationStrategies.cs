using PgRotate.Secrets;

namespace PgRotate.Roles;

/// <summary>The one place that maps a stored <see cref="Strategy"/> name to its behaviour.</summary>
public static class RotationStrategies
{
    private static readonly RotationStrategy Alternating = new AlternatingStrategy();
    private static readonly RotationStrategy Single = new SingleStrategy();
    private static readonly RotationStrategy Dynamic = new DynamicStrategy();

    public static RotationStrategy For(Strategy strategy) => strategy switch
    {
        Strategy.Alternating => Alternating,
        Strategy.Single => Single,
        Strategy.Dynamic => Dynamic,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    public static RotationStrategy For(Secret secret) => For(secret.Strategy);
}
