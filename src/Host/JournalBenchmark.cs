using System.CommandLine;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Host;

/// <summary>
/// <c>perf journal</c>: how fast the broker's own journal takes <see cref="BatchAppended"/> events, with no network and
/// no client: the ceiling for produce throughput on this machine (see docs/benchmarks.md).
/// </summary>
internal static class JournalBenchmark
{
    public static Command Create()
    {
        var events = new Option<int>("--events") { Description = "Events to persist", DefaultValueFactory = _ => 20000 };
        var size = new Option<int>("--event-size") { Description = "Bytes per event (a produced batch)", DefaultValueFactory = _ => 16384 };
        var outstanding = new Option<int>("--outstanding") { Description = "Writes in flight per actor (PersistAsync pipelining)", DefaultValueFactory = _ => 5 };
        var actors = new Option<int>("--actors") { Description = "Persistent actors writing at once (partitions)", DefaultValueFactory = _ => 1 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where to put the journal (default: a new temp directory, deleted after)" };
        var command = new Command("journal", "Journal throughput alone: persistent actors pipelining batch-sized events into the SQLite journal.")
            { events, size, outstanding, actors, dataDir };
        command.SetAction(async parse =>
        {
            var dir = parse.GetValue(dataDir) ?? Path.Combine(Path.GetTempPath(), "akkabroker-journal-" + Guid.NewGuid().ToString("N"));
            var node = await BrokerNode.StartAsync(ConfigurationFactory.ParseString($$"""
                akka.loglevel = WARNING
                akka.remote.dot-netty.tcp.port = 0
                akkabroker.broker.client-endpoint.port = 0
                akkabroker.broker.metrics.prometheus.port = 0
                akkabroker.broker.data-dir = "{{dir.Replace("\\", "\\\\")}}"
                """));
            var n = parse.GetValue(events);
            var bytes = parse.GetValue(size);
            var writers = parse.GetValue(actors);
            var started = Stopwatch.GetTimestamp();
            var done = Enumerable.Range(0, writers).Select(i =>
            {
                var probe = node.System.ActorOf(Props.Create(() => new Writer($"journal-bench-{Guid.NewGuid():N}-{i}", n / writers, bytes, parse.GetValue(outstanding))));
                return probe.Ask<TimeSpan>(Writer.Start.Instance, TimeSpan.FromMinutes(30));
            }).ToArray();
            await Task.WhenAll(done);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var total = (long)(n / writers) * writers;
            Console.WriteLine($"{total} events of {bytes} bytes by {writers} actor(s), {parse.GetValue(outstanding)} in flight each: " +
                              $"{total / seconds:0} events/s, {total * (double)bytes / seconds / 1024 / 1024:0.0} MB/s");
            await node.DisposeAsync();
            if (parse.GetValue(dataDir) == null) Directory.Delete(dir, recursive: true);
            return 0;
        });
        return command;
    }

    /// <summary>Persists batch-sized events with a bounded number in flight, like a partition replica under load.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        public sealed class Start
        {
            public static readonly Start Instance = new();
        }

        private readonly int _total;
        private readonly byte[] _payload;
        private readonly int _outstanding;
        private int _sent;
        private int _confirmed;
        private IActorRef? _replyTo;
        private long _started;

        public Writer(string persistenceId, int total, int size, int outstanding)
        {
            PersistenceId = persistenceId;
            _total = total;
            _payload = new byte[size];
            _outstanding = outstanding;
            Random.Shared.NextBytes(_payload);
            Command<Start>(_ =>
            {
                _replyTo = Sender;
                _started = Stopwatch.GetTimestamp();
                Fill();
            });
        }

        public override string PersistenceId { get; }

        private void Fill()
        {
            while (_sent < _total && _sent - _confirmed < _outstanding)
            {
                _sent++;
                PersistAsync(new BatchAppended(_payload), _ =>
                {
                    _confirmed++;
                    if (_confirmed == _total) _replyTo!.Tell(Stopwatch.GetElapsedTime(_started));
                    else Fill();
                });
            }
        }
    }
}
