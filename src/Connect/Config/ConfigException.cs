namespace AkkaBroker.Connect.Config;

/// <summary>A configuration is refused: the message names the key, the value and what is allowed (Kafka's <c>ConfigException</c>).</summary>
public sealed class ConfigException : ConnectException
{
    /// <summary>A problem described in full by <paramref name="message"/>.</summary>
    public ConfigException(string message) : base(message) { }

    /// <summary>Kafka's wording: <c>Invalid value V for configuration K: reason</c>; a list value is written as Java writes one, <c>[a, b]</c>.</summary>
    public ConfigException(string name, object? value, string reason)
        : base($"Invalid value {(value is not string && value is IEnumerable<string> list ? "[" + string.Join(", ", list) + "]" : value ?? "null")} for configuration {name}: {reason}") { }
}
