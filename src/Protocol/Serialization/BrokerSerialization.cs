using Akka.Configuration;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>HOCON that binds every message type <see cref="BrokerSerializer"/> supports to it, for broker and client alike.</summary>
public static class BrokerSerialization
{
    public static Config Config { get; } = Build();

    private static Config Build()
    {
        var serializer = typeof(BrokerSerializer).AssemblyQualifiedNameWithoutVersion();
        var bindings = string.Join("\n", BrokerSerializer.SupportedTypes.Select(t => $"  \"{t.AssemblyQualifiedNameWithoutVersion()}\" = akkabroker"));
        return ConfigurationFactory.ParseString($$"""
            akka.actor {
              serializers.akkabroker = "{{serializer}}"
              serialization-identifiers { "{{serializer}}" = {{BrokerSerializer.Id}} }
              serialization-bindings {
            {{bindings}}
              }
            }
            """);
    }

    private static string AssemblyQualifiedNameWithoutVersion(this Type t) => $"{t.FullName}, {t.Assembly.GetName().Name}";
}
