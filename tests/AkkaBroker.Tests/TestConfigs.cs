using Akka.Configuration;
using AkkaBroker.Actors.Broker;

namespace AkkaBroker.Tests;

/// <summary>Broker settings for tests, built the way the broker builds them (reference.conf plus overrides).</summary>
internal static class TestConfigs
{
    public static BrokerSettings Settings(string overrides = "") =>
        BrokerSettings.Create(BrokerNode.Compose(BrokerConfigKeys.Normalize(ConfigurationFactory.ParseString(overrides))));

    /// <summary>A topic's config as the controller gives it while no dynamic broker default is set: the settings' defaults and the overrides.</summary>
    public static IReadOnlyDictionary<string, string> EffectiveTopicConfig(this BrokerSettings settings, IReadOnlyDictionary<string, string> overrides)
    {
        var map = new Dictionary<string, string>(settings.DefaultTopicConfig);
        foreach (var (k, v) in overrides) map[k] = v.Trim();
        return map;
    }

    /// <summary>
    /// A local ActorSystem whose journal and snapshot store are Akka.Persistence.TestKit's, which a test can make fail;
    /// the broker's serializer bindings come with reference.conf.
    /// </summary>
    public static Config PersistenceTestKit { get; } = ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
        """).WithFallback(BrokerNode.Compose(Config.Empty));
}
