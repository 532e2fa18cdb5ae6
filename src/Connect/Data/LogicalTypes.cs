using System.Collections;
using System.Numerics;

namespace AkkaBroker.Connect.Data;

/// <summary>
/// Kafka Connect's <c>Decimal</c> logical type: an exact decimal with a fixed <c>scale</c>, carried as the big-endian
/// two's-complement bytes of its unscaled value. In .NET a <see cref="decimal"/>.
/// </summary>
public static class ConnectDecimal
{
    /// <summary>The schema name, as Kafka writes it.</summary>
    public const string LogicalName = "org.apache.kafka.connect.data.Decimal";

    /// <summary>The parameter holding the scale.</summary>
    public const string ScaleParameter = "scale";

    /// <summary>A decimal schema with <paramref name="scale"/> digits after the point.</summary>
    public static SchemaBuilder Builder(int scale) =>
        SchemaBuilder.Bytes().Name(LogicalName).Version(1).Parameter(ScaleParameter, scale.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The scale of a decimal schema.</summary>
    /// <exception cref="DataException">the schema has no valid scale parameter.</exception>
    public static int Scale(Schema schema) =>
        schema.Parameters.TryGetValue(ScaleParameter, out var text) && int.TryParse(text, out var scale) && scale is >= 0 and <= 28
            ? scale
            : throw new DataException($"Decimal schema has no valid '{ScaleParameter}' parameter (0-28).");

    /// <summary>The bytes Kafka stores for <paramref name="value"/> at the schema's scale.</summary>
    /// <exception cref="DataException">the value has more digits after the point than the scale.</exception>
    public static byte[] FromLogical(Schema schema, decimal value)
    {
        var scale = Scale(schema);
        var scaled = value * Pow10(scale);
        if (scaled != decimal.Truncate(scaled))
            throw new DataException($"Decimal value {value} has more than {scale} digits after the point, the schema's scale.");
        return new BigInteger(scaled).ToByteArray(isUnsigned: false, isBigEndian: true);
    }

    /// <summary>The decimal that Kafka's bytes <paramref name="value"/> stand for at the schema's scale.</summary>
    public static decimal ToLogical(Schema schema, byte[] value) =>
        (decimal)new BigInteger(value, isUnsigned: false, isBigEndian: true) / Pow10(Scale(schema));

    private static decimal Pow10(int n)
    {
        var result = 1m;
        for (var i = 0; i < n; i++) result *= 10;
        return result;
    }
}

/// <summary>Kafka Connect's <c>Date</c> logical type: a day, carried as int32 days since 1970-01-01. In .NET a UTC <see cref="DateTime"/> at midnight.</summary>
public static class ConnectDate
{
    /// <summary>The schema name, as Kafka writes it.</summary>
    public const string LogicalName = "org.apache.kafka.connect.data.Date";

    /// <summary>A date schema.</summary>
    public static SchemaBuilder Builder() => SchemaBuilder.Int32().Name(LogicalName).Version(1);

    /// <summary>Days since the epoch of <paramref name="value"/>.</summary>
    /// <exception cref="DataException">the value is not at midnight UTC.</exception>
    public static int FromLogical(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        if (utc.TimeOfDay != TimeSpan.Zero) throw new DataException($"A Date value must be at midnight UTC; {utc:O} is not.");
        return (int)(utc - DateTime.UnixEpoch).TotalDays;
    }

    /// <summary>The day <paramref name="days"/> after the epoch.</summary>
    public static DateTime ToLogical(int days) => DateTime.UnixEpoch.AddDays(days);
}

/// <summary>Kafka Connect's <c>Time</c> logical type: a time of day, carried as int32 milliseconds since midnight. In .NET a UTC <see cref="DateTime"/> on 1970-01-01.</summary>
public static class ConnectTime
{
    /// <summary>The schema name, as Kafka writes it.</summary>
    public const string LogicalName = "org.apache.kafka.connect.data.Time";

    /// <summary>A time schema.</summary>
    public static SchemaBuilder Builder() => SchemaBuilder.Int32().Name(LogicalName).Version(1);

    /// <summary>Milliseconds since midnight of <paramref name="value"/>.</summary>
    /// <exception cref="DataException">the value is not on 1970-01-01.</exception>
    public static int FromLogical(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        if (utc.Date != DateTime.UnixEpoch.Date) throw new DataException($"A Time value must be on 1970-01-01 (only the time of day counts); {utc:O} is not.");
        return (int)utc.TimeOfDay.TotalMilliseconds;
    }

    /// <summary>The time <paramref name="millis"/> after midnight.</summary>
    public static DateTime ToLogical(int millis) => DateTime.UnixEpoch.AddMilliseconds(millis);
}

/// <summary>Kafka Connect's <c>Timestamp</c> logical type: an instant, carried as int64 milliseconds since the epoch. In .NET a UTC <see cref="DateTime"/>.</summary>
public static class ConnectTimestamp
{
    /// <summary>The schema name, as Kafka writes it.</summary>
    public const string LogicalName = "org.apache.kafka.connect.data.Timestamp";

    /// <summary>A timestamp schema.</summary>
    public static SchemaBuilder Builder() => SchemaBuilder.Int64().Name(LogicalName).Version(1);

    /// <summary>Milliseconds since the epoch of <paramref name="value"/>.</summary>
    public static long FromLogical(DateTime value) =>
        (long)Math.Floor(((value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value) - DateTime.UnixEpoch).TotalMilliseconds);

    /// <summary>The instant <paramref name="millis"/> after the epoch.</summary>
    public static DateTime ToLogical(long millis) => DateTime.UnixEpoch.AddMilliseconds(millis);
}

/// <summary>Helpers over values of the data model.</summary>
public static class LogicalTypes
{
    /// <summary>The .NET type of the logical type named <paramref name="schemaName"/>, or null when it is not one.</summary>
    public static Type? ClrType(string? schemaName) => schemaName switch
    {
        ConnectDecimal.LogicalName => typeof(decimal),
        ConnectDate.LogicalName or ConnectTime.LogicalName or ConnectTimestamp.LogicalName => typeof(DateTime),
        _ => null,
    };
}

/// <summary>Comparisons of data-model values.</summary>
public static class Values
{
    /// <summary>Equality that compares byte arrays, lists and maps by content.</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a == null || b == null) return false;
        switch (a)
        {
            case byte[] x when b is byte[] y:
                return x.AsSpan().SequenceEqual(y);
            case IDictionary x when b is IDictionary y:
                if (x.Count != y.Count) return false;
                foreach (DictionaryEntry entry in x)
                    if (!y.Contains(entry.Key) || !DeepEquals(entry.Value, y[entry.Key])) return false;
                return true;
            case IList x when b is IList y:
                if (x.Count != y.Count) return false;
                for (var i = 0; i < x.Count; i++)
                    if (!DeepEquals(x[i], y[i])) return false;
                return true;
            default:
                return a.Equals(b);
        }
    }
}
