using AkkaBroker.Connect;
using AkkaBroker.Connect.Data;

namespace AkkaBroker.Tests.Connect;

/// <summary>Configuring transforms and predicates from key/value pairs, and records to apply them to.</summary>
internal static class TransformTesting
{
    public static T Configured<T>(params (string Key, string Value)[] configs) where T : ITransformation, new()
    {
        var transform = new T();
        transform.Configure(configs.ToDictionary(c => c.Key, c => c.Value));
        return transform;
    }

    public static T ConfiguredPredicate<T>(params (string Key, string Value)[] configs) where T : IPredicate, new()
    {
        var predicate = new T();
        predicate.Configure(configs.ToDictionary(c => c.Key, c => c.Value));
        return predicate;
    }

    public static SourceRecord Source(Schema? valueSchema, object? value, string topic = "test", long? timestamp = null) =>
        new(new Dictionary<string, object?> { ["file"] = "a" }, new Dictionary<string, object?> { ["line"] = 1L }, topic, 0, null, null, valueSchema, value, timestamp);

    public static SinkRecord Sink(Schema? keySchema, object? key, Schema? valueSchema, object? value, string topic = "test", int partition = 0, long offset = 42,
        long? timestamp = null) =>
        new(topic, partition, keySchema, key, valueSchema, value, offset, timestamp);

    public static IReadOnlyList<string> AliasesOf(Type type) =>
        type.GetCustomAttributes(typeof(PluginAliasAttribute), false).Cast<PluginAliasAttribute>().Single().Aliases;
}
