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
