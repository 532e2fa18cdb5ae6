using AkkaBroker.Actors.Quotas;
using AkkaBroker.Protocol.Messages;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace AkkaBroker.Tests.Quotas;

/// <summary>
/// A broker's measure of its clients against their quotas, on a fake clock: Kafka's sampled rate (at least all but one
/// window counted, old samples dropped), Kafka's throttle formula capped at the whole window, and the order in which
/// user, client id and default entities apply.
/// </summary>
public sealed class ClientQuotaManagerTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly ClientQuotaManager _quotas;

    public ClientQuotaManagerTests() => _quotas = new ClientQuotaManager(ClientQuotaSettings.Default, _clock);

    private static QuotaEntityName N(string name) => new(name);

    private static readonly QuotaEntityName D = QuotaEntityName.Default;

    private void Set(params (QuotaEntityName? User, QuotaEntityName? Client, string Key, double Value)[] quotas) =>
        _quotas.Update(quotas.GroupBy(q => new ClientQuotaEntity(q.User, q.Client))
            .Select(g => new ClientQuotasChanged(g.Key, g.ToDictionary(q => q.Key, q => q.Value))).ToArray());

    [Fact]
    public void Without_quotas_nothing_is_throttled_and_nothing_is_kept()
    {
        Assert.False(_quotas.Enabled);
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "app", 1e12));
        Assert.Equal(0, _quotas.SensorCount);
    }

    [Fact]
    public void A_burst_is_measured_over_all_but_one_window_and_throttled_by_kafkas_formula()
    {
        Set((N("alice"), null, ClientQuotaKeys.ProducerByteRate, 1000));

        // 10,000 bytes at once: 10 of 11 one-second windows count, so 1,000 B/s, not over.
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "app", 10_000));
        // 10,000 more: 2,000 B/s; waiting (2000 - 1000) / 1000 x 10 s brings it back to the quota.
        Assert.Equal(TimeSpan.FromSeconds(10), _quotas.Record(QuotaType.Produce, "User:alice", "app", 10_000));
    }

    [Fact]
    public void A_byte_rate_throttle_is_as_long_as_it_takes_and_a_request_time_throttle_at_most_one_sample()
    {
        Set((null, N("app"), ClientQuotaKeys.ConsumerByteRate, 100), (null, N("app"), ClientQuotaKeys.RequestPercentage, 1));

        // 10 MB over 10 s at 100 B/s: (1,000,000 - 100) / 100 x 10 s, as Kafka's (uncapped) byte-rate throttle.
        Assert.Equal(99_990, _quotas.Record(QuotaType.Fetch, "User:ANONYMOUS", "app", 10_000_000).TotalSeconds, 6);
        Assert.Equal(TimeSpan.FromSeconds(1), _quotas.Record(QuotaType.Request, "User:ANONYMOUS", "app", 10));
    }

    [Fact]
    public void Samples_older_than_the_window_no_longer_count()
    {
        Set((N("alice"), null, ClientQuotaKeys.ProducerByteRate, 1000));
        Assert.NotEqual(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "app", 50_000));

        _clock.Advance(TimeSpan.FromSeconds(12));

        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "app", 5_000));
    }

    [Fact]
    public void The_rate_falls_as_time_passes_within_the_window()
    {
        Set((N("alice"), null, ClientQuotaKeys.ProducerByteRate, 1000));
        _quotas.Record(QuotaType.Produce, "User:alice", "app", 15_000);
        _clock.Advance(TimeSpan.FromSeconds(10));

        // 15,001 bytes over 10 s (the first sample started 10 s ago): 1,500.1 B/s, throttled (1500.1 - 1000) / 1000 x 10 s.
        var throttle = _quotas.Record(QuotaType.Produce, "User:alice", "app", 1);
        Assert.Equal(5001, throttle.TotalMilliseconds, 3);
    }

    [Fact]
    public void Request_percentage_counts_handling_time_as_a_share_of_one_thread()
    {
        Set((N("alice"), null, ClientQuotaKeys.RequestPercentage, 1));

        // 50 ms of handling over 10 s is 0.5% of a thread; 5 ms more makes 0.55%, and 10 ms more 1.05%: 1.05 - 1 over
        // 1 of the 10 s is 500 ms.
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Request, "User:alice", "app", 0.05));
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Request, "User:alice", "app", 0.005));
        Assert.Equal(500, _quotas.Record(QuotaType.Request, "User:alice", "app", 0.05).TotalMilliseconds, 3);
    }

    [Fact]
    public void The_most_specific_entity_with_the_quota_applies_in_kafkas_order()
    {
        var quotas = new Dictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>>
        {
            [new(N("alice"), N("app"))] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 1 },
            [new(N("alice"), D)] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 2 },
            [new(N("alice"), null)] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 3, [ClientQuotaKeys.ConsumerByteRate] = 30 },
            [new(D, N("app"))] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 4 },
            [new(D, D)] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 5 },
            [new(D, null)] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 6 },
            [new(null, N("app"))] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 7 },
            [new(null, D)] = new Dictionary<string, double> { [ClientQuotaKeys.ProducerByteRate] = 8 },
        };

        Assert.Equal((1.0, "alice", "app"), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "alice", "app"));
        Assert.Equal((2.0, "alice", "other"), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "alice", "other"));
        // The consumer quota is set on the user alone: it is shared by all of alice's clients.
        Assert.Equal((30.0, "alice", ""), ClientQuotaManager.Resolve(quotas, QuotaType.Fetch, "alice", "app"));
        Assert.Equal((4.0, "bob", "app"), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "bob", "app"));
        Assert.Equal((5.0, "bob", "other"), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "bob", "other"));
        Assert.Null(ClientQuotaManager.Resolve(quotas, QuotaType.Request, "bob", "other"));

        quotas.Remove(new(N("alice"), D));
        quotas.Remove(new(D, D));
        Assert.Equal((3.0, "alice", ""), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "alice", "other"));
        Assert.Equal((6.0, "bob", ""), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "bob", "other"));
        quotas.Remove(new(D, null));
        quotas.Remove(new(D, N("app")));
        Assert.Equal((7.0, "", "app"), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "bob", "app"));
        Assert.Equal((8.0, "", "other"), ClientQuotaManager.Resolve(quotas, QuotaType.Produce, "bob", "other"));
    }

    [Fact]
    public void A_default_quota_is_each_users_own_and_a_named_one_is_shared_by_its_clients()
    {
        Set((D, null, ClientQuotaKeys.ProducerByteRate, 1000), (N("carol"), null, ClientQuotaKeys.ProducerByteRate, 1000));

        // alice and bob each get 1,000 B/s of their own: 10,000 bytes each is within it.
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "a", 10_000));
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:bob", "b", 10_000));
        // carol's two clients share hers.
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:carol", "c1", 10_000));
        Assert.NotEqual(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:carol", "c2", 10_000));
    }

    [Fact]
    public void A_removed_quota_stops_throttling_at_once()
    {
        Set((N("alice"), null, ClientQuotaKeys.ProducerByteRate, 1000));
        Assert.NotEqual(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "app", 50_000));

        Set();

        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:alice", "app", 50_000));
    }

    [Fact]
    public void Invented_client_ids_past_the_sensor_cap_share_overflow_sensors()
    {
        Set((null, D, ClientQuotaKeys.ProducerByteRate, 1_000_000));

        for (var i = 0; i < ClientQuotaManager.MaxSensors + 100; i++) _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", $"c{i}", 1);
        Assert.Equal(ClientQuotaManager.MaxSensors, _quotas.SensorCount);
    }

    [Fact]
    public void A_long_client_id_is_kept_short_and_still_measured_on_its_own()
    {
        // A client id of 32 KiB (Kafka's header allows it) still gets its own quota, and distinct long ids their own sensors
        // (below the sensor cap: past it, ids share overflow sensors by hash, see above).
        Set((null, D, ClientQuotaKeys.ProducerByteRate, 1000));
        var longId = new string('x', 32_000);
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", longId, 10_000));
        Assert.NotEqual(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", longId, 10_000));
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", longId + "y", 10_000));
    }

    [Fact]
    public void On_the_client_endpoint_a_client_id_quota_matches_the_id_as_the_connection_carries_it()
    {
        Set((null, N("billing.app_1"), ClientQuotaKeys.ProducerByteRate, 1000));

        // An AkkaBroker client with client.id billing.app_1 shows as billing-app-1.
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", "billing-app-1", 10_000, clientIdSanitized: true));
        Assert.NotEqual(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", "billing-app-1", 10_000, clientIdSanitized: true));
        Assert.Equal(TimeSpan.Zero, _quotas.Record(QuotaType.Produce, "User:ANONYMOUS", "billing-app-1", 1e9));
        Assert.Equal("billing-app-1", AkkaBroker.Protocol.ClientIds.Sanitize("billing.app_1"));
        Assert.Equal("caf-", AkkaBroker.Protocol.ClientIds.Sanitize("café"));
    }

    [Fact]
    public void A_throttle_never_exceeds_what_kafkas_throttle_time_ms_can_say()
    {
        Set((N("alice"), null, ClientQuotaKeys.ProducerByteRate, 1));

        for (var i = 0; i < 100; i++) _quotas.Record(QuotaType.Produce, "User:alice", "app", int.MaxValue);

        Assert.Equal(int.MaxValue, _quotas.Record(QuotaType.Produce, "User:alice", "app", int.MaxValue).TotalMilliseconds);
    }
}
