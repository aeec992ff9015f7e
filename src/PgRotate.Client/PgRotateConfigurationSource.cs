using Microsoft.Extensions.Configuration;

namespace PgRotate.Client;

/// <summary>The configuration source <c>AddPgRotate</c> adds: one secret, its options checked already.</summary>
public sealed class PgRotateConfigurationSource(PgRotateClientOptions options) : IConfigurationSource
{
    public PgRotateClientOptions Options { get; } = options;

    /// <summary>Optional: the clock of the watcher (tests).</summary>
    public TimeProvider? TimeProvider { get; init; }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new PgRotateConfigurationProvider(Options, TimeProvider ?? TimeProvider.System);
}
