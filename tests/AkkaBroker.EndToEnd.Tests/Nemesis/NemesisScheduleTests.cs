using Xunit;

namespace AkkaBroker.EndToEnd.Tests.Nemesis;

public class NemesisScheduleTests
{
    [Fact]
    public void One_seed_gives_one_schedule_and_another_seed_another()
    {
        var a = NemesisSchedule.Generate(42, TimeSpan.FromMinutes(10), linkCuts: true);
        Assert.Equal(a, NemesisSchedule.Generate(42, TimeSpan.FromMinutes(10), linkCuts: true));
        Assert.NotEqual(a, NemesisSchedule.Generate(43, TimeSpan.FromMinutes(10), linkCuts: true));
    }

    [Fact]
    public void A_schedule_fills_its_time_with_every_kind_of_fault_on_every_broker()
    {
        var faults = NemesisSchedule.Generate(7, TimeSpan.FromMinutes(10), linkCuts: true);
        Assert.True(faults.Sum(f => (f.Duration + f.Quiet).TotalSeconds) >= 600);
        Assert.Equal(Enum.GetValues<FaultKind>().Order(), faults.Select(f => f.Kind).Distinct().Order());
        Assert.Equal([1, 2, 3], faults.Select(f => f.Broker).Distinct().Order());
        Assert.All(faults, f => Assert.InRange(f.Duration.TotalSeconds, 0.5, 12));
    }

    [Fact]
    public void Without_network_namespaces_no_link_is_cut()
    {
        Assert.DoesNotContain(NemesisSchedule.Generate(7, TimeSpan.FromMinutes(10), linkCuts: false), f => f.Kind == FaultKind.CutLinks);
    }
}
