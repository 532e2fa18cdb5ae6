using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Serialization;
using Xunit;

namespace AkkaBroker.Tests.Quotas;

/// <summary>The controller's record of client quotas: what it takes, what it refuses and why, and how filters select.</summary>
public sealed class ClientQuotasStateTests
{
    private static readonly ClientQuotaEntity Alice = new(new QuotaEntityName("alice"), null);
    private static readonly ClientQuotaEntity AliceApp = new(new QuotaEntityName("alice"), new QuotaEntityName("app"));
    private static readonly ClientQuotaEntity DefaultClient = new(null, QuotaEntityName.Default);

    private static ClientQuotaAlteration Set(ClientQuotaEntity entity, params (string Key, double? Value)[] ops) =>
        new(entity, ops.Select(o => new ClientQuotaOp(o.Key, o.Value ?? 0, o.Value == null)).ToArray());

    private static AlterClientQuotasResponse Apply(ControllerState state, params ClientQuotaAlteration[] entries)
    {
        var result = state.DecideAlterClientQuotas(new AlterClientQuotasRequest(entries, false));
        foreach (var e in result.Events) state.Apply(e);
        return (AlterClientQuotasResponse)result.Response!;
    }

    [Fact]
    public void Quotas_are_set_changed_and_removed_per_entity()
    {
        var state = new ControllerState();
        Apply(state, Set(Alice, (ClientQuotaKeys.ProducerByteRate, 1024), (ClientQuotaKeys.RequestPercentage, 12.5)), Set(DefaultClient, (ClientQuotaKeys.ConsumerByteRate, 2048)));
        Assert.Equal(1024, state.ClientQuotas[Alice][ClientQuotaKeys.ProducerByteRate]);
        Assert.Equal(12.5, state.ClientQuotas[Alice][ClientQuotaKeys.RequestPercentage]);

        Apply(state, Set(Alice, (ClientQuotaKeys.ProducerByteRate, null)));
        Assert.Equal([ClientQuotaKeys.RequestPercentage], state.ClientQuotas[Alice].Keys);
        Apply(state, Set(Alice, (ClientQuotaKeys.RequestPercentage, null)));
        Assert.False(state.ClientQuotas.ContainsKey(Alice));
        Assert.True(state.ClientQuotas.ContainsKey(DefaultClient));
    }

    [Fact]
    public void Validate_only_changes_nothing()
    {
        var state = new ControllerState();
        var result = state.DecideAlterClientQuotas(new AlterClientQuotasRequest([Set(Alice, (ClientQuotaKeys.ProducerByteRate, 1024))], ValidateOnly: true));

        Assert.Empty(result.Events);
        Assert.Equal(ErrorCode.None, Assert.Single(((AlterClientQuotasResponse)result.Response!).Results).Error);
    }

    [Theory]
    [InlineData("producer_byte_rate", 0, "whole number of bytes per second, at least 1")]
    [InlineData("consumer_byte_rate", 10.5, "whole number of bytes per second")]
    [InlineData("request_percentage", -1, "positive number of percent")]
    [InlineData("controller_mutation_rate", 5, "not enforced by this broker")]
    [InlineData("producer.byte.rate", 5, "is not a client quota; the quotas are producer_byte_rate, consumer_byte_rate, request_percentage")]
    public void A_bad_key_or_value_is_refused_naming_it_and_the_others_go_ahead(string key, double value, string why)
    {
        var state = new ControllerState();

        var response = Apply(state, Set(Alice, (key, value)), Set(AliceApp, (ClientQuotaKeys.ProducerByteRate, 1000)));

        var refused = response.Results.Single(r => r.Entity == Alice);
        Assert.Equal(ErrorCode.InvalidRequest, refused.Error);
        Assert.Contains(why, refused.ErrorMessage);
        Assert.Equal(ErrorCode.None, response.Results.Single(r => r.Entity == AliceApp).Error);
        Assert.False(state.ClientQuotas.ContainsKey(Alice));
        Assert.True(state.ClientQuotas.ContainsKey(AliceApp));
    }

    [Fact]
    public void An_entity_without_user_or_client_id_or_named_twice_is_refused()
    {
        var state = new ControllerState();

        var none = Apply(state, Set(new ClientQuotaEntity(null, null), (ClientQuotaKeys.ProducerByteRate, 1)));
        var twice = Apply(state, Set(Alice, (ClientQuotaKeys.ProducerByteRate, 1)), Set(Alice, (ClientQuotaKeys.ConsumerByteRate, 1)));

        Assert.Contains("names a user, a client id, or both", Assert.Single(none.Results).ErrorMessage);
        Assert.Contains("more than once", Assert.Single(twice.Results).ErrorMessage);
        Assert.Empty(state.ClientQuotas);
    }

    [Fact]
    public void Filters_select_by_name_default_or_any_and_strict_leaves_out_other_components()
    {
        var state = new ControllerState();
        Apply(state, Set(Alice, (ClientQuotaKeys.ProducerByteRate, 1)), Set(AliceApp, (ClientQuotaKeys.ProducerByteRate, 2)), Set(DefaultClient, (ClientQuotaKeys.ProducerByteRate, 3)));
        IReadOnlyList<ClientQuotaEntity> Describe(bool strict, params ClientQuotaFilterComponent[] components) =>
            state.DescribeClientQuotas(new DescribeClientQuotasRequest(components, strict)).Entries.Select(e => e.Entity).ToList();

        Assert.Equal([Alice, AliceApp], Describe(false, new ClientQuotaFilterComponent("user", QuotaMatchType.Exact, "alice")));
        Assert.Equal([Alice], Describe(true, new ClientQuotaFilterComponent("user", QuotaMatchType.Exact, "alice")));
        Assert.Equal([DefaultClient], Describe(false, new ClientQuotaFilterComponent("client-id", QuotaMatchType.Default, null)));
        Assert.Equal([AliceApp], Describe(false, new ClientQuotaFilterComponent("client-id", QuotaMatchType.Specified, null)));
        Assert.Equal(3, Describe(false).Count);
        Assert.Equal(ErrorCode.InvalidRequest, state.DescribeClientQuotas(new DescribeClientQuotasRequest([new ClientQuotaFilterComponent("users", QuotaMatchType.Specified, null)], false)).Error);
    }

    [Fact]
    public void Quotas_survive_the_snapshot()
    {
        var state = new ControllerState();
        Apply(state, Set(AliceApp, (ClientQuotaKeys.ProducerByteRate, 1024)), Set(DefaultClient, (ClientQuotaKeys.RequestPercentage, 25)));

        var restored = new ControllerState();
        var written = state.ToSnapshot();
        restored.Restore((ControllerSnapshot)BrokerSerializer.Decode(BrokerSerializer.Encode(written), BrokerSerializer.ManifestOf(written)));

        Assert.Equal(1024, restored.ClientQuotas[AliceApp][ClientQuotaKeys.ProducerByteRate]);
        Assert.Equal(25, restored.ClientQuotas[DefaultClient][ClientQuotaKeys.RequestPercentage]);
    }
}
