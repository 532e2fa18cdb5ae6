using System.Text.RegularExpressions;

namespace AkkaBroker.Actors.Topics;

/// <summary>Kafka's topic-name rules (org.apache.kafka.common.internals.Topic).</summary>
public static partial class TopicNames
{
    public const int MaxLength = 249;

    // \z, not $: $ also matches before a final newline, which would let "orders\n" through.
    [GeneratedRegex(@"^[a-zA-Z0-9._-]+\z")]
    private static partial Regex LegalChars();

    /// <summary>Null when <paramref name="name"/> is a legal topic name, else why it is not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "Topic name is empty.";
        if (name is "." or "..") return $"Topic name cannot be \"{name}\".";
        if (name.Length > MaxLength) return $"Topic name is {name.Length} characters long, the limit is {MaxLength}.";
        if (!LegalChars().IsMatch(name))
            return $"Topic name \"{name}\" is illegal: it may contain only ASCII letters, digits, '.', '_' and '-'.";
        return null;
    }

    /// <summary>Kafka refuses topics whose names differ only by '.' versus '_' because their metric names collide.</summary>
    public static string UnifyCollisionChars(string name) => name.Replace('.', '_');
}
