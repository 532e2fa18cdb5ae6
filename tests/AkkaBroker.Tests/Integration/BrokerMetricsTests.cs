using System.Diagnostics.Metrics;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Client;
using AkkaBroker.Client.Admin;
using Xunit;

namespace AkkaBroker.Tests.Integration;

/// <summary>The broker's metrics as an operator's scraper reads them, from a broker serving a real client.</summary>
public class BrokerMetricsTests
{
    private sealed record Observed(string Instrument, long Value, IReadOnlyDictionary<string, object?> Tags);

    /// <summary>One collection of every broker instrument, gauges included, as a Prometheus scrape does.</summary>
    private static List<Observed> Collect(Func<string, bool> instruments)
    {
        var observed = new List<Observed>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BrokerMetrics.MeterName && instruments(instrument.Name)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var t in tags) map[t.Key] = t.Value;
            lock (observed) observed.Add(new Observed(instrument.Name, value, map));
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return observed;
    }

    [Fact]
    public async Task Consumer_lag_is_reported_per_group_and_partition_and_traffic_per_topic()
    {
        await using var broker = await BrokerFixture.StartAsync("akkabroker.broker.metrics.consumer.lag.interval.ms = 100");
        var topic = "lag-" + Guid.NewGuid().ToString("N")[..8];
        // Counters report as they count: listened to from before the first record.
        long recordsIn = 0;
        using var counters = new MeterListener();
        counters.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BrokerMetrics.MeterName && instrument.Name == "akkabroker.records_in") l.EnableMeasurementEvents(instrument);
        };
        counters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var t in tags)
                if (t.Key == "topic" && (string?)t.Value == topic) Interlocked.Add(ref recordsIn, value);
        });
        counters.Start();
        var group = "billing-" + Guid.NewGuid().ToString("N")[..8];
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.Bootstrap }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 2 }]);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.Bootstrap, LingerMs = 1 }).Build())
        {
            for (var i = 0; i < 10; i++) await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = $"{i}" });
            for (var i = 0; i < 4; i++) await producer.ProduceAsync(new TopicPartition(topic, 1), new Message<Null, string> { Value = $"{i}" });
        }
        using (var consumer = new ConsumerBuilder<Null, string>(new ConsumerConfig { BootstrapServers = broker.Bootstrap, GroupId = group }).Build())
            consumer.Commit([new TopicPartitionOffset(topic, 0, 3), new TopicPartitionOffset(topic, 1, 4)]);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        Dictionary<int, long> lags = new();
        while (DateTime.UtcNow < deadline)
        {
            lags = Collect(name => name == "akkabroker.consumer_group.lag")
                .Where(o => (string?)o.Tags["group"] == group && (string?)o.Tags["topic"] == topic)
                .ToDictionary(o => (int)o.Tags["partition"]!, o => o.Value);
            if (lags.Count == 2 && lags[0] == 7) break;
            await Task.Delay(100);
        }
        Assert.Equal(new Dictionary<int, long> { [0] = 7, [1] = 0 }, lags);

        // Kafka's BrokerTopicMetrics are per topic: MessagesInPerSec of this topic counts exactly its records.
        Assert.Equal(14, Interlocked.Read(ref recordsIn));
    }
}
