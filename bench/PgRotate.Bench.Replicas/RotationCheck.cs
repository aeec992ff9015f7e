using System.Net.Http.Headers;
using PgRotate.Contracts;

namespace PgRotate.Bench.Replicas;

/// <summary>
/// What the store says happened to one scheduled secret during the run: its promoted versions after the one it had at
/// the start, judged against the minute boundaries it was due at.
/// </summary>
internal sealed record RotationCheck(string Secret, int Expected, int Done, int Duplicates, int Lost, int Resumed, string? Problem)
{
    /// <param name="startVersion">The secret's version before the replicas started.</param>
    /// <param name="before">Rotations promoted at or after this moment belong to a later boundary than the run's last.</param>
    public static async Task<RotationCheck> ReadAsync(HttpClient http, Uri replica, string secret, int startVersion, int expected, DateTimeOffset before, IReadOnlySet<int> resumedVersions, CancellationToken cancellationToken)
    {
        var json = await http.GetStringAsync(new Uri(replica, $"/v1/secrets/{secret}/history?limit=1000"), cancellationToken);
        var rotated = PgRotateJson.Deserialize<List<HistoryEvent>>(json)!
            .Where(e => e.Kind == HistoryEventKind.Rotated && e.Version > startVersion && e.At < before)
            .Select(e => e.Version!.Value)
            .ToList();
        var distinct = rotated.Distinct().Order().ToList();
        var consecutive = distinct.SequenceEqual(Enumerable.Range(startVersion + 1, distinct.Count));
        // A version promoted twice, or more rotations than boundaries: a scheduled rotation done twice.
        var duplicates = rotated.Count - distinct.Count + Math.Max(0, distinct.Count - expected);
        var lost = Math.Max(0, expected - distinct.Count);
        var problem = consecutive ? null : $"{secret}: promoted versions {string.Join(',', distinct)} after {startVersion} are not consecutive";
        return new RotationCheck(secret, expected, distinct.Count, duplicates, lost, distinct.Count(resumedVersions.Contains), problem);
    }

    public static HttpClient Client(string adminToken)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
        return http;
    }
}
