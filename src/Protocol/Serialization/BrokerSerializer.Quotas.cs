using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Protocol.Serialization;

/// <summary>The codecs of client quotas: their requests, and the controller's record of them.</summary>
public sealed partial class BrokerSerializer
{
    // A method, not a field: the codec table of the other file reads it while its own static fields are initialised.
    private static Codec[] QuotaCodecs() =>
    [
        C<ClientQuotasChanged>("cCQC", WriteClientQuotas, ReadClientQuotas),
        C<AlterClientQuotasRequest>("ACQRq", (w, m) =>
            {
                w.List(m.Entries, (ww, e) => { WriteQuotaEntity(ww, e.Entity); ww.List(e.Ops, (www, o) => { www.String(o.Key); www.Double(o.Value); www.Bool(o.Remove); }); });
                w.Bool(m.ValidateOnly);
            },
            r => new AlterClientQuotasRequest(r.List(rr => new ClientQuotaAlteration(ReadQuotaEntity(rr), rr.List(rrr => new ClientQuotaOp(rrr.String(), rrr.Double(), rrr.Bool())))), r.Bool())),
        C<AlterClientQuotasResponse>("ACQRs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Results, (ww, o) => { WriteQuotaEntity(ww, o.Entity); ww.Short((short)o.Error); ww.String(o.ErrorMessage); });
            },
            r => new AlterClientQuotasResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new ClientQuotaOutcome(ReadQuotaEntity(rr), (ErrorCode)rr.Short(), rr.NullableString())))),
        C<DescribeClientQuotasRequest>("DCQRq", (w, m) =>
            {
                w.List(m.Components, (ww, c) => { ww.String(c.EntityType); ww.Byte((byte)c.Match); ww.String(c.Name); });
                w.Bool(m.Strict);
            },
            r => new DescribeClientQuotasRequest(r.List(rr => new ClientQuotaFilterComponent(rr.String(), (QuotaMatchType)rr.Byte(), rr.NullableString())), r.Bool())),
        C<DescribeClientQuotasResponse>("DCQRs", (w, m) =>
            {
                w.Short((short)m.Error); w.String(m.ErrorMessage);
                w.List(m.Entries, (ww, e) => { WriteQuotaEntity(ww, e.Entity); WriteQuotaValues(ww, e.Values); });
            },
            r => new DescribeClientQuotasResponse((ErrorCode)r.Short(), r.NullableString(), r.List(rr => new ClientQuotaEntry(ReadQuotaEntity(rr), ReadQuotaValues(rr))))),
    ];

    private static void WriteClientQuotas(WireWriter w, ClientQuotasChanged c)
    {
        WriteQuotaEntity(w, c.Entity);
        WriteQuotaValues(w, c.Values);
    }

    private static ClientQuotasChanged ReadClientQuotas(WireReader r) => new(ReadQuotaEntity(r), ReadQuotaValues(r));

    // Each component: 0 absent, 1 the default, 2 a name that follows.
    private static void WriteQuotaEntity(WireWriter w, ClientQuotaEntity e)
    {
        foreach (var name in new[] { e.User, e.ClientId })
        {
            w.Byte(name == null ? (byte)0 : name.IsDefault ? (byte)1 : (byte)2);
            if (name is { IsDefault: false }) w.String(name.Name);
        }
    }

    private static ClientQuotaEntity ReadQuotaEntity(WireReader r)
    {
        QuotaEntityName? Component() => r.Byte() switch
        {
            0 => null,
            1 => QuotaEntityName.Default,
            2 => new QuotaEntityName(r.String()),
            var b => throw new FormatException($"quota entity component kind {b}"),
        };
        var user = Component();
        return new ClientQuotaEntity(user, Component());
    }

    private static void WriteQuotaValues(WireWriter w, IReadOnlyDictionary<string, double> values) =>
        w.List(values.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray(), (ww, kv) => { ww.String(kv.Key); ww.Double(kv.Value); });

    private static IReadOnlyDictionary<string, double> ReadQuotaValues(WireReader r)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in r.List(rr => (rr.String(), rr.Double()))) values[key] = value;
        return values;
    }
}
