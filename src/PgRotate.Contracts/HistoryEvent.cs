namespace PgRotate.Contracts;

/// <summary>
/// One thing that happened to a secret. The field is named <c>event</c> on the wire; <see cref="Login"/> is the login
/// of <see cref="Version"/> when the event concerns a version; <see cref="Actor"/> is who caused it when that was
/// recorded (null otherwise).
/// </summary>
public sealed record HistoryEvent(
    DateTimeOffset At,
    [property: System.Text.Json.Serialization.JsonPropertyName("event")] HistoryEventKind Kind,
    int? Version,
    string? Login,
    string? Actor,
    string? Detail);
