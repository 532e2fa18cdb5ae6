using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AkkaBroker.Tests.Broker;

/// <summary>What a peer makes Akka.Remote log is bounded per logging class and window; everything else passes.</summary>
public sealed class LogFloodGuardTests
{
    private readonly FakeTimeProvider _clock = new();

    private static LogEntry Entry(string category, Akka.Event.LogLevel level = Akka.Event.LogLevel.WarningLevel) =>
        new(level, category, "endpoint", "Failed to deserialize message", null, DateTime.UtcNow);

    [Fact]
    public void Remote_warnings_past_the_limit_are_left_out_and_the_next_window_says_how_many()
    {
        var guard = new LogFloodGuard(_clock);
        const string reader = "Akka.Remote.EndpointReader";

        var written = Enumerable.Range(0, 25).Select(_ => guard.Admit(Entry(reader))).Count(e => e != null);
        Assert.Equal(LogFloodGuard.LinesPerWindow, written);
        // Another class has a budget of its own.
        Assert.NotNull(guard.Admit(Entry("Akka.Remote.Transport.DotNetty.TcpTransport")));

        _clock.Advance(LogFloodGuard.Window);
        var next = guard.Admit(Entry(reader));
        Assert.NotNull(next);
        Assert.Contains("15 more such line(s) from Akka.Remote.EndpointReader were left out", next.Message);
        Assert.Equal("Failed to deserialize message", guard.Admit(Entry(reader))!.Message);
    }

    [Fact]
    public void Other_events_pass_however_many()
    {
        var guard = new LogFloodGuard(_clock);

        Assert.All(Enumerable.Range(0, 100), _ => Assert.NotNull(guard.Admit(Entry("AkkaBroker.Actors.Partitions.PartitionReplica"))));
        Assert.All(Enumerable.Range(0, 100), _ => Assert.NotNull(guard.Admit(Entry("Akka.Remote.EndpointWriter", Akka.Event.LogLevel.InfoLevel))));
    }
}
