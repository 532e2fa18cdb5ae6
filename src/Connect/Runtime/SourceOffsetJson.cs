using System.Text.Json;
using System.Text.Json.Nodes;

namespace AkkaBroker.Connect.Runtime;

/// <summary>
/// The JSON form of source partitions and offsets, as Kafka Connect stores them: the key is
/// <c>["connector name", {partition}]</c> and the value the offset object. Keys of a map are written sorted, so one
/// partition always has one stored key. Read back, whole numbers are <see cref="long"/>, other numbers
/// <see cref="double"/>, and nested objects dictionaries.
/// </summary>
public static class SourceOffsetJson
{
    /// <summary>The stored key of <paramref name="partition"/> of <paramref name="connector"/>.</summary>
    public static string Key(string connector, IReadOnlyDictionary<string, object?> partition) =>
        new JsonArray(JsonValue.Create(connector), ToNode(partition)).ToJsonString();

    /// <summary>The JSON of a partition or offset map, keys sorted.</summary>
    public static string Write(IReadOnlyDictionary<string, object?>? map) => map == null ? "null" : ToNode(map)!.ToJsonString();

    /// <summary>The connector and partition of a stored key, or null when the key is not in that form.</summary>
    public static (string Connector, IReadOnlyDictionary<string, object?> Partition)? ParseKey(string key)
    {
        try
        {
            if (JsonNode.Parse(key) is JsonArray { Count: 2 } array && array[0]?.GetValueKind() == JsonValueKind.String && array[1] is JsonObject partition)
                return (array[0]!.GetValue<string>(), (IReadOnlyDictionary<string, object?>)FromNode(partition)!);
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>The map that <paramref name="json"/> holds, or null for JSON null.</summary>
    /// <exception cref="JsonException">the text is not JSON or not an object.</exception>
    public static IReadOnlyDictionary<string, object?>? Read(string json) =>
        JsonNode.Parse(json) switch
        {
            null => null,
            JsonObject o => (IReadOnlyDictionary<string, object?>)FromNode(o)!,
            _ => throw new JsonException("A source partition or offset must be a JSON object."),
        };

    /// <summary>A JSON node of a value of a partition or offset map.</summary>
    /// <exception cref="ArgumentException">the value is not a string, number, boolean, null, list or map.</exception>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int or long or short or sbyte or byte or uint => JsonValue.Create(Convert.ToInt64(value)),
        float f => DoubleNode(f),
        double d => DoubleNode(d),
        decimal m => JsonValue.Create(m),
        IReadOnlyDictionary<string, object?> map => new JsonObject(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, ToNode(p.Value)))),
        IDictionary<string, object?> map => new JsonObject(map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, ToNode(p.Value)))),
        System.Collections.IEnumerable list => new JsonArray(list.Cast<object?>().Select(ToNode).ToArray()),
        _ => throw new ArgumentException($"A source partition or offset may hold strings, numbers, booleans, lists and maps, not a {value.GetType().Name}."),
    };

    /// <summary>
    /// A double written with a fraction or an exponent (<c>2.0</c>, not <c>2</c>), so that it reads back as a double and
    /// not as a long: a task that stored a double offset casts it back to double.
    /// </summary>
    private static JsonNode DoubleNode(double d)
    {
        // NaN and infinities are refused when the node is written, as before.
        if (!double.IsFinite(d)) return JsonValue.Create(d);
        var text = d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (text.IndexOfAny(['.', 'E', 'e']) < 0) text += ".0";
        return JsonNode.Parse(text)!;
    }

    /// <summary>The .NET value of a JSON node.</summary>
    public static object? FromNode(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => FromNode(p.Value)),
        JsonArray a => a.Select(FromNode).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // Each branch boxed on its own: a conditional of long and double would make every number a double.
            JsonValueKind.Number => v.TryGetValue<long>(out var l) ? (object)l : v.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };
}
