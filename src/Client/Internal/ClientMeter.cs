using System.Runtime.CompilerServices;
using System.Diagnostics.Metrics;

namespace AkkaBroker.Client.Internal;

/// <summary>
/// The clients' metrics as System.Diagnostics.Metrics instruments (meter <c>AkkaBroker.Client</c>), so OpenTelemetry,
/// Prometheus and dotnet-counters see them: one gauge per Kafka metric name (<c>kafka.producer.batch-size-avg</c>,
/// <c>kafka.consumer.fetch-rate</c>, ...), one series per live client, labelled with its <c>client.id</c> and a
/// <c>client</c> unique to it (<c>client.id#producer-N</c>). The values
/// are the ones <c>IProducer.Metrics</c> and <c>IConsumer.Metrics</c> return.
/// </summary>
internal static class ClientMeter
{
    public const string MeterName = "AkkaBroker.Client";

    /// <summary>Kafka's producer-metrics this client keeps.</summary>
    public static readonly string[] ProducerMetrics =
    [
        "batch-size-avg", "batch-size-max", "record-send-rate", "record-send-total", "records-per-request-avg", "request-latency-avg",
        "request-latency-max", "record-error-total", "record-retry-total", "buffer-available-bytes",
    ];

    /// <summary>Kafka's consumer-fetch-manager-metrics and consumer-coordinator-metrics this client keeps.</summary>
    public static readonly string[] ConsumerMetrics =
    [
        "fetch-size-avg", "fetch-size-max", "fetch-rate", "fetch-total", "fetch-latency-avg", "fetch-latency-max", "records-lag-max",
        "records-consumed-rate", "records-consumed-total", "commit-latency-avg", "commit-latency-max", "rebalance-latency-avg", "rebalance-latency-max",
    ];

    private static readonly Meter Meter = new(MeterName);
    // Client is unique per instance (client.id#producer-N, as librdkafka names its handles): clients sharing a
    // client.id, the default one included, stay separate series.
    private sealed record Source(string ClientId, string Client, Func<IReadOnlyDictionary<string, double>> Read);

    private static int _producers;
    private static int _consumers;

    // Weak: a client the application forgot to dispose is still collected.
    private static readonly ConditionalWeakTable<object, Source> Producers = new();
    private static readonly ConditionalWeakTable<object, Source> Consumers = new();

    static ClientMeter()
    {
        foreach (var name in ProducerMetrics)
            Meter.CreateObservableGauge($"kafka.producer.{name}", () => Measure(Producers, name), description: $"Kafka's producer metric {name}, per client.id");
        foreach (var name in ConsumerMetrics)
            Meter.CreateObservableGauge($"kafka.consumer.{name}", () => Measure(Consumers, name), description: $"Kafka's consumer metric {name}, per client.id");
    }

    public static void AddProducer(object producer, string clientId, Func<IReadOnlyDictionary<string, double>> read) =>
        Producers.AddOrUpdate(producer, new Source(clientId, $"{clientId}#producer-{Interlocked.Increment(ref _producers)}", read));

    public static void AddConsumer(object consumer, string clientId, Func<IReadOnlyDictionary<string, double>> read) =>
        Consumers.AddOrUpdate(consumer, new Source(clientId, $"{clientId}#consumer-{Interlocked.Increment(ref _consumers)}", read));

    public static void Remove(object client)
    {
        Producers.Remove(client);
        Consumers.Remove(client);
    }

    // A metric with nothing measured yet (an average of no batches) is NaN in Metrics: no point rather than a false 0.
    private static IEnumerable<Measurement<double>> Measure(ConditionalWeakTable<object, Source> clients, string name)
    {
        foreach (var (_, source) in clients)
            if (source.Read().TryGetValue(name, out var value) && !double.IsNaN(value))
                yield return new Measurement<double>(value, new KeyValuePair<string, object?>("client.id", source.ClientId),
                    new KeyValuePair<string, object?>("client", source.Client));
    }
}
