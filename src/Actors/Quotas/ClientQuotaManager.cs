using System.Collections.Concurrent;
using Akka.Configuration;
using AkkaBroker.Actors.Broker;
using AkkaBroker.Actors.Metrics;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Quotas;

/// <summary>What a client's quota limits, as Kafka's quota types.</summary>
public enum QuotaType
{
    /// <summary>Record batch bytes produced (<c>producer_byte_rate</c>).</summary>
    Produce,
    /// <summary>Record batch bytes fetched (<c>consumer_byte_rate</c>).</summary>
    Fetch,
    /// <summary>Share of a request-handling thread's time (<c>request_percentage</c>).</summary>
    Request,
}

/// <summary>
/// Kafka's <c>quota.window.num</c> and <c>quota.window.size.seconds</c>: rates are measured over that many samples of
/// that length; a request-time throttle lasts at most one sample's length, as Kafka's.
/// </summary>
public sealed record ClientQuotaSettings(int WindowCount, TimeSpan WindowSize)
{
    public static readonly ClientQuotaSettings Default = new(11, TimeSpan.FromSeconds(1));

    /// <summary>The whole span rates are measured over.</summary>
    public TimeSpan Window => WindowSize * WindowCount;

    /// <exception cref="BrokerConfigurationException">a value is out of range.</exception>
    public static ClientQuotaSettings Create(Config config)
    {
        var count = config.GetInt($"{BrokerSettings.Section}.quota.window.num", 11);
        var seconds = config.GetInt($"{BrokerSettings.Section}.quota.window.size.seconds", 1);
        if (count < 2) throw new BrokerConfigurationException($"{BrokerSettings.Section}.quota.window.num", count.ToString(), "at least 2");
        if (seconds < 1) throw new BrokerConfigurationException($"{BrokerSettings.Section}.quota.window.size.seconds", seconds.ToString(), "at least 1");
        return new ClientQuotaSettings(count, TimeSpan.FromSeconds(seconds));
    }
}

/// <summary>
/// This broker's enforcement of client quotas (Kafka's ClientQuotaManager): each request's bytes or handling time is
/// recorded against the quota that applies to its user and client id, and a client over its quota is told how long to
/// wait (its throttle time). Quotas come from the replicated controller state (<see cref="Update"/>); the most specific
/// entity with a value for a quota wins, in Kafka's order: user and client id, user and default client id, user,
/// default user and client id, default user and default client id, default user, client id, default client id. A quota
/// on a default entity applies to each user or client id apart; one on a named entity is shared by every client it
/// names. Thread-safe: the client endpoint and every Kafka connection record into it at once.
/// </summary>
public sealed class ClientQuotaManager
{
    /// <summary>Sensors kept at most; clients beyond share <see cref="OverflowSensors"/> per quota type, so invented client ids cost nothing more.</summary>
    internal const int MaxSensors = 100_000;

    /// <summary>Sensors clients past <see cref="MaxSensors"/> are spread over (by client id), so one such client rarely slows another.</summary>
    internal const int OverflowSensors = 1024;

    /// <summary>Names longer than any a quota can be set on (they can only meet a default quota) are kept as a short hash.</summary>
    private const int MaxKeyLength = Controller.ControllerState.MaxQuotaNameLength;

    /// <summary>A sensor unused this long is dropped (Kafka's inactive sensor expiry).</summary>
    private static readonly TimeSpan SensorExpiry = TimeSpan.FromHours(1);

    private readonly ClientQuotaSettings _settings;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(QuotaType Type, string User, string ClientId), RateSensor> _sensors = new();
    private readonly ConcurrentDictionary<(QuotaType Type, uint Bucket), RateSensor> _overflow = new();
    private int _sensorCount;
    private volatile IReadOnlyDictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>> _quotas = new Dictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>>();

    // The same quotas with client ids as an AkkaBroker client's connection shows them (ClientIds.Sanitize), swapped with _quotas.
    private volatile IReadOnlyDictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>> _sanitizedQuotas = new Dictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>>();
    private long _nextSweepMs;

    public ClientQuotaManager(ClientQuotaSettings settings, TimeProvider? clock = null)
    {
        _settings = settings;
        _clock = clock ?? TimeProvider.System;
    }

    public ClientQuotaSettings Settings => _settings;

    /// <summary>False while no quota is set anywhere: then recording costs one read.</summary>
    public bool Enabled => _quotas.Count > 0;

    /// <summary>Takes the quotas in force from the replicated state.</summary>
    public void Update(IReadOnlyList<ClientQuotasChanged> quotas)
    {
        var next = quotas.ToDictionary(q => q.Entity, q => q.Values);
        // Two ids that read alike once sanitized (my.app, my_app) share the first one's quotas there.
        _sanitizedQuotas = quotas
            .GroupBy(q => q.Entity with { ClientId = q.Entity.ClientId is { IsDefault: false } c ? new QuotaEntityName(ClientIds.Sanitize(c.Name!)) : q.Entity.ClientId })
            .ToDictionary(g => g.Key, g => g.First().Values);
        _quotas = next;
        // Sensors keep their history across changes, so a changed quota applies at once; unused ones expire (SweepIfDue).
        if (next.Count == 0)
        {
            _sensors.Clear();
            _overflow.Clear();
            Interlocked.Exchange(ref _sensorCount, 0);
        }
    }

    /// <summary>
    /// Records <paramref name="value"/> (bytes, or for <see cref="QuotaType.Request"/> seconds of handling) for the
    /// client <paramref name="clientId"/> of <paramref name="principal"/>, and returns how long it must now wait:
    /// zero within its quota (or with none).
    /// </summary>
    /// <param name="clientIdSanitized">The client id is as an AkkaBroker client's connection shows it (<see cref="ClientIds.Sanitize"/>): quotas are matched in that form.</param>
    public TimeSpan Record(QuotaType type, string principal, string? clientId, double value, bool clientIdSanitized = false)
    {
        var quotas = clientIdSanitized ? _sanitizedQuotas : _quotas;
        if (quotas.Count == 0) return TimeSpan.Zero;
        var user = UserOf(principal);
        clientId ??= "";
        // A Kafka client id may be 32 KiB long: such a name could only meet a default quota, and is kept short.
        if (clientId.Length > MaxKeyLength) clientId = Shortened(clientId);
        if (user.Length > MaxKeyLength) user = Shortened(user);
        if (Resolve(quotas, type, user, clientId) is not { } applies) return TimeSpan.Zero;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        SweepIfDue(now);
        var sensor = SensorFor(type, applies.SensorUser, applies.SensorClientId);
        var recorded = type == QuotaType.Request ? value * 100 : value;
        var (rate, windowMs) = sensor.Record(recorded, now);
        if (rate <= applies.Bound) return TimeSpan.Zero;
        // Kafka's throttle: the wait that brings the rate over the measured window back to the quota; Kafka bounds only a
        // request-time throttle, by one sample's length.
        var throttleMs = (rate - applies.Bound) / applies.Bound * windowMs;
        if (type == QuotaType.Request) throttleMs = Math.Min(throttleMs, _settings.WindowSize.TotalMilliseconds);
        // Kafka's throttle_time_ms is an int32: a byte rate far over a tiny quota is held to its largest value.
        throttleMs = Math.Min(throttleMs, int.MaxValue);
        BrokerMetrics.QuotaThrottleTime.Record(throttleMs, new KeyValuePair<string, object?>("quota", QuotaName(type)));
        return TimeSpan.FromMilliseconds(throttleMs);
    }

    /// <summary>The user part of quota entities: the principal's name (<c>alice</c> of <c>User:alice</c>), as Kafka's.</summary>
    internal static string UserOf(string principal)
    {
        var colon = principal.IndexOf(':');
        return colon < 0 ? principal : principal[(colon + 1)..];
    }

    private static string QuotaName(QuotaType type) => type switch
    {
        QuotaType.Produce => "produce",
        QuotaType.Fetch => "fetch",
        _ => "request",
    };

    private static string KeyOf(QuotaType type) => type switch
    {
        QuotaType.Produce => ClientQuotaKeys.ProducerByteRate,
        QuotaType.Fetch => ClientQuotaKeys.ConsumerByteRate,
        _ => ClientQuotaKeys.RequestPercentage,
    };

    /// <summary>
    /// The quota that applies and the sensor it is measured in: the entity's named parts, with the default parts standing
    /// for this client's own user or client id (a default quota is each one's own).
    /// </summary>
    internal static (double Bound, string SensorUser, string SensorClientId)? Resolve(
        IReadOnlyDictionary<ClientQuotaEntity, IReadOnlyDictionary<string, double>> quotas, QuotaType type, string user, string clientId)
    {
        var key = KeyOf(type);
        QuotaEntityName u = new(user), c = new(clientId), d = QuotaEntityName.Default;
        ReadOnlySpan<(QuotaEntityName? User, QuotaEntityName? Client)> order =
        [
            (u, c), (u, d), (u, null), (d, c), (d, d), (d, null), (null, c), (null, d),
        ];
        foreach (var (eu, ec) in order)
            if (quotas.TryGetValue(new ClientQuotaEntity(eu, ec), out var values) && values.TryGetValue(key, out var bound))
                return (bound, eu == null ? "" : user, ec == null ? "" : clientId);
        return null;
    }

    private static string Shortened(string name) => $"{name[..32]}...#{name.Length}:{name.GetHashCode():x8}";

    private RateSensor SensorFor(QuotaType type, string user, string clientId)
    {
        if (_sensors.TryGetValue((type, user, clientId), out var sensor)) return sensor;
        if (Volatile.Read(ref _sensorCount) >= MaxSensors)
        {
            var bucket = (type, (uint)HashCode.Combine(user, clientId) % OverflowSensors);
            return _overflow.TryGetValue(bucket, out var shared) ? shared : _overflow.GetOrAdd(bucket, _ => new RateSensor(_settings));
        }
        var created = new RateSensor(_settings);
        if (_sensors.TryAdd((type, user, clientId), created))
        {
            Interlocked.Increment(ref _sensorCount);
            return created;
        }
        return _sensors.TryGetValue((type, user, clientId), out sensor) ? sensor : created;
    }

    private void SweepIfDue(long nowMs)
    {
        var due = Interlocked.Read(ref _nextSweepMs);
        if (nowMs < due || Interlocked.CompareExchange(ref _nextSweepMs, nowMs + 60_000, due) != due) return;
        foreach (var (key, sensor) in _sensors)
            if (nowMs - sensor.LastRecordMs > SensorExpiry.TotalMilliseconds && _sensors.TryRemove(key, out _))
                Interlocked.Decrement(ref _sensorCount);
    }

    /// <summary>The value of quota <paramref name="key"/> set on <paramref name="entity"/> as this broker knows it, or null.</summary>
    public double? QuotaOf(ClientQuotaEntity entity, string key) => _quotas.TryGetValue(entity, out var values) && values.TryGetValue(key, out var v) ? v : null;

    /// <summary>Sensors held for single clients (for tests of the bound).</summary>
    internal int SensorCount => Volatile.Read(ref _sensorCount);
}

/// <summary>
/// Kafka's sampled rate: values summed in <c>quota.window.num</c> samples of <c>quota.window.size.seconds</c>, divided
/// by the time they span, which is counted as at least all but one window so that a client's first burst is not
/// measured over a few milliseconds.
/// </summary>
internal sealed class RateSensor(ClientQuotaSettings settings)
{
    private readonly double[] _values = new double[settings.WindowCount];
    private readonly long[] _starts = new long[settings.WindowCount];
    private readonly long _windowMs = (long)settings.WindowSize.TotalMilliseconds;
    private int _current = -1;

    public long LastRecordMs { get; private set; }

    /// <summary>Adds <paramref name="value"/> now; returns the rate per second with it, and the span it is measured over (ms).</summary>
    public (double Rate, double WindowMs) Record(double value, long nowMs)
    {
        lock (_values)
        {
            LastRecordMs = nowMs;
            if (_current < 0 || nowMs - _starts[_current] >= _windowMs)
            {
                _current = (_current + 1) % _values.Length;
                _starts[_current] = nowMs;
                _values[_current] = 0;
            }
            _values[_current] += value;
            // Samples older than the whole window no longer count.
            var total = 0.0;
            var oldest = nowMs;
            for (var i = 0; i < _values.Length; i++)
            {
                if (_values[i] == 0 && i != _current) continue;
                if (nowMs - _starts[i] >= _windowMs * _values.Length)
                {
                    _values[i] = 0;
                    continue;
                }
                total += _values[i];
                oldest = Math.Min(oldest, _starts[i]);
            }
            var elapsed = (double)(nowMs - oldest);
            var fullWindows = (long)(elapsed / _windowMs);
            if (fullWindows < _values.Length - 1) elapsed += (_values.Length - 1 - fullWindows) * _windowMs;
            return (total / (elapsed / 1000.0), elapsed);
        }
    }
}
