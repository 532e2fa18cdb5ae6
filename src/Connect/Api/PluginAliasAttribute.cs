namespace AkkaBroker.Connect;

/// <summary>
/// Other names a connector, converter, transform or predicate is found by in configurations, besides its .NET full
/// name and its simple name: Kafka's Java class names (<c>org.apache.kafka.connect.storage.StringConverter</c>,
/// <c>org.apache.kafka.connect.transforms.InsertField$Value</c>), so that configurations written for Kafka Connect
/// work unchanged.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class PluginAliasAttribute(params string[] aliases) : Attribute
{
    /// <summary>The names, compared exactly.</summary>
    public IReadOnlyList<string> Aliases { get; } = aliases;
}
