using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Security;

/// <summary>
/// <c>akkabroker.broker.sasl</c>: how clients authenticate where an endpoint requires it (the client endpoint with
/// <c>client-endpoint.sasl.enabled</c>, the Kafka listener with a <c>SASL_PLAINTEXT</c> listener).
/// </summary>
/// <param name="EnabledMechanisms">Kafka's <c>sasl.enabled.mechanisms</c>: SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN (checked against the SCRAM credentials).</param>
/// <param name="AddScram">
/// Credentials the controller creates when the user has none of that mechanism (Kafka's <c>kafka-storage format
/// --add-scram</c>): how the first user of a cluster that requires authentication comes to be. Later changes by
/// <c>users</c> are kept; a restart does not reset them.
/// </param>
public sealed record SaslSettings(IReadOnlyList<string> EnabledMechanisms, IReadOnlyList<ScramCredentialSpec> AddScram)
{
    public const string Section = BrokerSettings.Section + ".sasl";

    /// <exception cref="BrokerConfigurationException">a mechanism is not served or a credential is not in Kafka's form.</exception>
    public static SaslSettings Create(Config config)
    {
        var raw = config.GetString($"{Section}.enabled.mechanisms", "") ?? "";
        var mechanisms = new List<string>();
        foreach (var name in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            mechanisms.Add(SaslMechanisms.Canonical(name)
                ?? throw new BrokerConfigurationException($"{Section}.enabled.mechanisms", raw, $"a comma-separated list of {string.Join(", ", SaslMechanisms.All)}"));
        if (mechanisms.Count == 0)
            throw new BrokerConfigurationException($"{Section}.enabled.mechanisms", raw, $"at least one of {string.Join(", ", SaslMechanisms.All)}");
        var specs = new List<ScramCredentialSpec>();
        foreach (var text in config.GetStringList($"{Section}.add-scram") ?? [])
        {
            ScramCredentialSpec spec;
            try
            {
                spec = ScramCredentialSpec.Parse(text);
            }
            catch (FormatException e)
            {
                throw new BrokerConfigurationException($"{Section}.add-scram", text.Split('[')[0] + "[...]", $"a credential in Kafka's form ({e.Message})");
            }
            if (string.IsNullOrEmpty(spec.User))
                throw new BrokerConfigurationException($"{Section}.add-scram", text.Split('[')[0] + "[...]", "a credential that names its user: SCRAM-SHA-256=[name=admin,password=...]");
            specs.Add(spec);
        }
        return new SaslSettings(mechanisms.Distinct().ToArray(), specs);
    }
}
