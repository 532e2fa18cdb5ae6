using Akka.Configuration;
using AkkaBroker.Actors.Broker;

namespace AkkaBroker.Tests;

/// <summary>Broker settings for tests, built the way the broker builds them (reference.conf plus overrides).</summary>
internal static class TestConfigs
{
    public static BrokerSettings Settings(string overrides = "") =>
        BrokerSettings.Create(BrokerNode.Compose(ConfigurationFactory.ParseString(overrides)));
}
