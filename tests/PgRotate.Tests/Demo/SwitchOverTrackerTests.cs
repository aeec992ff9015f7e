using Microsoft.Extensions.Time.Testing;
using PgRotate.Cli.Commands.Demo;

namespace PgRotate.Tests.Demo;

/// <summary>
/// The switch-over of a rotation is the time from its answer until the last worker's query ran as the new login; a
/// worker already there counts as zero, and a rotation some worker never caught up with is counted apart.
/// </summary>
public sealed class SwitchOverTrackerTests
{
    [Fact]
    public void The_switch_over_is_the_time_until_the_last_worker_used_the_new_login()
    {
        var time = new FakeTimeProvider();
        var tracker = new SwitchOverTracker(2, time);
        tracker.Observed(0, "app_a");
        tracker.Observed(1, "app_a");

        tracker.RotationAnswered("app_b");
        time.Advance(TimeSpan.FromMilliseconds(10));
        tracker.Observed(0, "app_b");
        Assert.Equal(0, tracker.Summary().Samples);
        time.Advance(TimeSpan.FromMilliseconds(20));
        tracker.Observed(1, "app_b");

        var summary = tracker.Summary();
        Assert.Equal(1, summary.Samples);
        Assert.Equal(30, summary.MaxMs, precision: 3);
        Assert.Equal(0, summary.Incomplete);
    }

    [Fact]
    public void A_worker_that_moved_before_the_answer_arrived_counts_as_zero()
    {
        var time = new FakeTimeProvider();
        var tracker = new SwitchOverTracker(1, time);
        tracker.Observed(0, "app_a");
        time.Advance(TimeSpan.FromMilliseconds(5));
        tracker.Observed(0, "app_b");

        time.Advance(TimeSpan.FromMilliseconds(50));
        tracker.RotationAnswered("app_b");

        var summary = tracker.Summary();
        Assert.Equal(1, summary.Samples);
        Assert.Equal(0, summary.MaxMs);
    }

    [Fact]
    public void A_rotation_a_worker_had_not_caught_up_with_before_the_next_one_is_counted_as_incomplete_not_as_a_time()
    {
        var time = new FakeTimeProvider();
        var tracker = new SwitchOverTracker(2, time);
        tracker.Observed(0, "app_a");
        tracker.Observed(1, "app_a");

        tracker.RotationAnswered("app_b");
        tracker.Observed(0, "app_b");
        time.Advance(TimeSpan.FromSeconds(1));
        tracker.RotationAnswered("app_a");

        var summary = tracker.Summary();
        Assert.Equal(1, summary.Incomplete);
        // Worker 1 never left app_a and worker 0 is back on it at once: the second rotation is complete only when
        // worker 0 uses app_a again.
        Assert.Equal(0, summary.Samples);
        time.Advance(TimeSpan.FromMilliseconds(7));
        tracker.Observed(0, "app_a");
        Assert.Equal(7, tracker.Summary().MaxMs, precision: 3);
    }
}
