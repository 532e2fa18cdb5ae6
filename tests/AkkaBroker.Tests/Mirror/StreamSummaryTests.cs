using AkkaBroker.Mirror;
using Xunit;

namespace AkkaBroker.Tests.Mirror;

public class StreamSummaryTests
{
    private static string Describe(double onSource, double onTarget, long lag) =>
        StreamSummary.Describe(0, 600_000, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60 * onSource), TimeSpan.FromSeconds(60 * onTarget), 3, lag);

    [Fact]
    public void A_stream_waiting_mostly_on_acknowledgements_names_the_target()
    {
        var line = Describe(0.1, 0.8, 50_000);
        Assert.Contains("the target is the bottleneck", line);
        Assert.Contains("10,000/s", line);
    }

    [Fact]
    public void A_stream_with_no_lag_keeps_up_whatever_it_waited_on()
    {
        Assert.Contains("keeping up with the source", Describe(0.9, 0.0, 0));
    }

    [Fact]
    public void A_stream_with_lag_waiting_on_fetches_names_the_source_and_one_waiting_on_neither_its_own_cpu()
    {
        Assert.Contains("fetching from the source is the bottleneck", Describe(0.7, 0.1, 1_000));
        Assert.Contains("the mirror's own work is the bottleneck", Describe(0.2, 0.2, 1_000));
    }
}

public class StreamReportTests
{
    [Fact]
    public void Every_60th_tick_summarises_the_records_acknowledged_and_the_lag_of_the_partitions()
    {
        var report = new StreamReport(7);
        var tp = new AkkaBroker.Client.TopicPartition("report-test", 0);
        for (var i = 0; i < 3; i++) report.Acknowledged(tp, 100, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), heartbeat: false);
        for (var i = 1; i < StreamReport.TicksPerSummary; i++) Assert.Null(report.Tick([tp], _ => 10, _ => 4));
        var line = report.Tick([tp], _ => 10, _ => 4);
        Assert.NotNull(line);
        Assert.StartsWith("stream 7: mirrored 3 records", line);
        Assert.Contains("lag 6", line);
        string? next = null;
        for (var i = 0; i < StreamReport.TicksPerSummary; i++) next = report.Tick([tp], _ => null, _ => 4);
        Assert.StartsWith("stream 7: mirrored 0 records", next);
        report.Forget(tp);
    }
}
