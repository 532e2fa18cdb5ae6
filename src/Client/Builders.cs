using AkkaBroker.Client.Internal;
using AkkaBroker.Protocol;

namespace AkkaBroker.Client;

/// <summary>Builds an <see cref="IProducer{TKey,TValue}"/>.</summary>
public sealed class ProducerBuilder<TKey, TValue>(IEnumerable<KeyValuePair<string, string>> config)
{
    private ISerializer<TKey>? _keySerializer;
    private ISerializer<TValue>? _valueSerializer;
    private Action<IProducer<TKey, TValue>, LogMessage>? _logHandler;
    private Action<IProducer<TKey, TValue>, Error>? _errorHandler;
    private Action<IProducer<TKey, TValue>, string>? _statisticsHandler;

    /// <summary>
    /// Called every <c>statistics.interval.ms</c> (which must be set above 0) with a JSON document shaped as
    /// librdkafka's statistics: name, client_id, type, ts, time, age, msg_cnt, msg_size, txmsgs, txmsg_bytes, and per
    /// topic and partition txmsgs and txbytes. Called on a timer thread.
    /// </summary>
    public ProducerBuilder<TKey, TValue> SetStatisticsHandler(Action<IProducer<TKey, TValue>, string> statisticsHandler)
    {
        _statisticsHandler = statisticsHandler;
        return this;
    }

    /// <summary>
    /// Told of errors of the client as a whole as they happen, such as a broker that cannot be reached
    /// (<see cref="ErrorCode.Local_Transport"/>, <see cref="ErrorCode.Local_AllBrokersDown"/>). They are not fatal: the
    /// producer keeps trying, and records it cannot deliver in time fail on their own.
    /// </summary>
    public ProducerBuilder<TKey, TValue> SetErrorHandler(Action<IProducer<TKey, TValue>, Error> errorHandler)
    {
        _errorHandler = errorHandler;
        return this;
    }

    /// <summary>
    /// Receives the producer's log (warnings and errors: lost connections, refused requests). Without a handler the
    /// producer logs nothing; it never writes to the application's console.
    /// </summary>
    public ProducerBuilder<TKey, TValue> SetLogHandler(Action<IProducer<TKey, TValue>, LogMessage> logHandler)
    {
        _logHandler = logHandler;
        return this;
    }

    /// <summary>Sets the key serializer (string, byte[], int, long and Null have defaults).</summary>
    public ProducerBuilder<TKey, TValue> SetKeySerializer(ISerializer<TKey> serializer)
    {
        _keySerializer = serializer;
        return this;
    }

    /// <summary>Sets the value serializer (string, byte[], int, long and Null have defaults).</summary>
    public ProducerBuilder<TKey, TValue> SetValueSerializer(ISerializer<TValue> serializer)
    {
        _valueSerializer = serializer;
        return this;
    }

    /// <summary>Sets an asynchronous key serializer; each record waits for it before it is queued.</summary>
    public ProducerBuilder<TKey, TValue> SetKeySerializer(IAsyncSerializer<TKey> serializer) => SetKeySerializer(new SyncOverAsync.SyncOverAsyncSerializer<TKey>(serializer));

    /// <summary>Sets an asynchronous value serializer (a schema registry's, say); each record waits for it before it is queued.</summary>
    public ProducerBuilder<TKey, TValue> SetValueSerializer(IAsyncSerializer<TValue> serializer) => SetValueSerializer(new SyncOverAsync.SyncOverAsyncSerializer<TValue>(serializer));

    /// <summary>Checks the configuration and builds the producer.</summary>
    /// <exception cref="KafkaException">a key is unknown or a value invalid (Error.Reason names it), or a serializer is missing.</exception>
    public IProducer<TKey, TValue> Build()
    {
        var settings = ProducerSettings.Read(config);
        var key = _keySerializer ?? DefaultSerdes.Serializer<TKey>() ?? throw MissingSerde("key serializer", "SetKeySerializer", "JsonSerializer", typeof(TKey));
        var value = _valueSerializer ?? DefaultSerdes.Serializer<TValue>() ?? throw MissingSerde("value serializer", "SetValueSerializer", "JsonSerializer", typeof(TValue));
        return new Producer<TKey, TValue>(settings, key, value, _logHandler, _errorHandler, _statisticsHandler);
    }

    internal static KafkaException MissingSerde(string what, string setter, string example, Type type) =>
        new(new Error(Protocol.ErrorCode.LocalInvalidArgument, $"No default {what} for {type.Name}: call {setter} (e.g. with new {example}<{type.Name}>())."));
}

/// <summary>Builds an <see cref="IConsumer{TKey,TValue}"/>.</summary>
public sealed class ConsumerBuilder<TKey, TValue>(IEnumerable<KeyValuePair<string, string>> config)
{
    private IDeserializer<TKey>? _keyDeserializer;
    private IDeserializer<TValue>? _valueDeserializer;
    private readonly ConsumerHandlers<TKey, TValue> _handlers = new();

    /// <summary>
    /// Told of errors of the client as a whole as they happen, such as a broker that cannot be reached. They are not
    /// fatal: the consumer keeps trying.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetErrorHandler(Action<IConsumer<TKey, TValue>, Error> errorHandler)
    {
        _handlers.Error = errorHandler;
        return this;
    }

    /// <summary>
    /// Called every <c>statistics.interval.ms</c> (which must be set above 0) with a JSON document shaped as
    /// librdkafka's statistics: name, client_id, type, ts, time, age, rxmsgs, rxmsg_bytes, per topic and assigned
    /// partition rxmsgs, rxbytes, hi_offset, lo_offset, app_offset and consumer_lag, and for a group member cgrp. Called
    /// on a timer thread.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetStatisticsHandler(Action<IConsumer<TKey, TValue>, string> statisticsHandler)
    {
        _handlers.Statistics = statisticsHandler;
        return this;
    }

    /// <summary>
    /// Receives the consumer's log (warnings and errors: lost connections, refused requests). Without a handler the
    /// consumer logs nothing; it never writes to the application's console.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetLogHandler(Action<IConsumer<TKey, TValue>, LogMessage> logHandler)
    {
        _handlers.Log = logHandler;
        return this;
    }

    /// <summary>
    /// Called on the consumer's thread (inside Consume) when the group assigns partitions to this consumer; they start
    /// at the group's committed offsets (or per auto.offset.reset).
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(Action<IConsumer<TKey, TValue>, List<TopicPartition>> handler)
    {
        _handlers.Assigned = (c, partitions) =>
        {
            handler(c, partitions);
            return partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset));
        };
        return this;
    }

    /// <summary>
    /// Called when the group assigns partitions; the handler returns where each starts (Offset.Unset: the committed
    /// offset, or auto.offset.reset when there is none).
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>> handler)
    {
        _handlers.Assigned = handler;
        return this;
    }

    /// <summary>
    /// Called on the consumer's thread before partitions are taken away in an orderly rebalance or on Close, with each
    /// partition's position. Committing here (auto-commit already does) means the next owner starts exactly after the
    /// last record this consumer handed out, so a rebalance re-delivers nothing.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsRevokedHandler(Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>> handler)
    {
        _handlers.Revoked = handler;
        return this;
    }

    /// <summary>
    /// Called when partitions were lost: this consumer was removed from the group (session expired, max.poll.interval.ms
    /// exceeded, fenced) and the partitions may already belong to another member, so committing for them would fail.
    /// When not set, the revoked handler is called instead, as in Confluent.Kafka.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsLostHandler(Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>> handler)
    {
        _handlers.Lost = handler;
        return this;
    }

    /// <summary>Sets the key deserializer (string, byte[], int, long, Null and Ignore have defaults).</summary>
    public ConsumerBuilder<TKey, TValue> SetKeyDeserializer(IDeserializer<TKey> deserializer)
    {
        _keyDeserializer = deserializer;
        return this;
    }

    /// <summary>Sets the value deserializer (string, byte[], int, long, Null and Ignore have defaults).</summary>
    public ConsumerBuilder<TKey, TValue> SetValueDeserializer(IDeserializer<TValue> deserializer)
    {
        _valueDeserializer = deserializer;
        return this;
    }

    /// <summary>Checks the configuration and builds the consumer.</summary>
    /// <exception cref="KafkaException">a key is unknown or a value invalid, or a deserializer is missing.</exception>
    public IConsumer<TKey, TValue> Build()
    {
        var settings = ConsumerSettings.Read(config);
        var key = _keyDeserializer ?? DefaultSerdes.Deserializer<TKey>() ?? throw ProducerBuilder<TKey, TValue>.MissingSerde("key deserializer", "SetKeyDeserializer", "JsonDeserializer", typeof(TKey));
        var value = _valueDeserializer ?? DefaultSerdes.Deserializer<TValue>() ?? throw ProducerBuilder<TKey, TValue>.MissingSerde("value deserializer", "SetValueDeserializer", "JsonDeserializer", typeof(TValue));
        return new Consumer<TKey, TValue>(settings, key, value, _handlers);
    }
}

/// <summary>Builds an <see cref="IAdminClient"/>.</summary>
public sealed class AdminClientBuilder(IEnumerable<KeyValuePair<string, string>> config)
{
    private Action<IAdminClient, LogMessage>? _logHandler;
    private Action<IAdminClient, Error>? _errorHandler;

    /// <summary>Told of errors of the client as a whole as they happen, such as a broker that cannot be reached.</summary>
    public AdminClientBuilder SetErrorHandler(Action<IAdminClient, Error> errorHandler)
    {
        _errorHandler = errorHandler;
        return this;
    }

    /// <summary>Receives the admin client's log; without a handler it logs nothing.</summary>
    public AdminClientBuilder SetLogHandler(Action<IAdminClient, LogMessage> logHandler)
    {
        _logHandler = logHandler;
        return this;
    }

    /// <summary>Checks the configuration and builds the admin client.</summary>
    /// <exception cref="KafkaException">a key is unknown or a value invalid.</exception>
    public IAdminClient Build()
    {
        var reader = new ConfigReader(config);
        var settings = ClientSettings.Read(reader);
        reader.EnsureAllKnown("admin client");
        return new AdminClient(settings, _logHandler, _errorHandler);
    }
}
