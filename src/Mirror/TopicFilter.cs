using System.Text.RegularExpressions;

namespace AkkaBroker.Mirror;

/// <summary>
/// Which source topics the user asked to mirror: <c>--include</c> (MirrorMaker 1's <c>--whitelist</c>) and
/// <c>--exclude</c> (<c>--blacklist</c>), each a regular expression that must match the whole topic name. As in
/// Kafka's <c>TopicFilter</c>, an expression is trimmed, loses its spaces and any quotes around it (properties files
/// and shells bring them), and ',' means '|', so <c>orders, payments</c> means <c>orders|payments</c> (which also means
/// a quantifier like <c>{1,3}</c> cannot be written, as in Kafka). Java's and .NET's regular expressions agree on
/// everything such filters use. Immutable.
/// </summary>
public sealed class TopicFilter
{
    private readonly Regex _include;
    private readonly Regex? _exclude;

    /// <param name="include">Topics to mirror.</param>
    /// <param name="exclude">Topics among them not to mirror, or null.</param>
    /// <exception cref="ArgumentException">an expression is not a valid regular expression, or the include expression is empty; the message says which and why.</exception>
    public TopicFilter(string include, string? exclude = null)
    {
        Include = Normalize(include);
        if (Include.Length == 0)
            throw new ArgumentException("the include expression is empty, so it would mirror no topic; '.*' mirrors every topic", nameof(include));
        _include = Compile(Include, nameof(include));
        if (exclude != null && Normalize(exclude) is { Length: > 0 } ex)
        {
            Exclude = ex;
            _exclude = Compile(ex, nameof(exclude));
        }
    }

    /// <summary>The include expression as used (normalized as Kafka does).</summary>
    public string Include { get; }

    /// <summary>The exclude expression as used, or null.</summary>
    public string? Exclude { get; }

    /// <summary>Whether <paramref name="topic"/>'s whole name matches the include expression and not the exclude one.</summary>
    public bool IsIncluded(string topic) => _include.IsMatch(topic) && _exclude?.IsMatch(topic) != true;

    /// <summary>Kafka's <c>TopicFilter</c> clean-up: trim, ',' as '|', no spaces, no quotes around.</summary>
    public static string Normalize(string expression) =>
        expression.Trim().Replace(',', '|').Replace(" ", "").Trim('"', '\'');

    /// <inheritdoc />
    public override string ToString() => Exclude == null ? Include : $"{Include} except {Exclude}";

    private static Regex Compile(string expression, string parameter)
    {
        try
        {
            // Parsed alone first: wrapped, an unbalanced "a)|(b" would parse and mean something else.
            _ = new Regex(expression, RegexOptions.CultureInvariant);
            // Anchored so that the whole name must match, as Java's String.matches (Kafka's check) requires.
            return new Regex($@"\A(?:{expression})\z", RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{expression}' is not a valid regular expression: {e.Message}", parameter, e);
        }
    }
}
