using System.Globalization;

namespace AkkaBroker.KafkaProtocol.Generator;

/// <summary>
/// An inclusive range of message versions as the schemas write them: "3+", "0-7", "5" or "none".
/// </summary>
public readonly record struct Versions(short Lowest, short Highest)
{
    /// <summary>No version at all ("none").</summary>
    public static readonly Versions None = new(1, 0);

    /// <summary>Whether no version lies in the range.</summary>
    public bool IsEmpty => Lowest > Highest;

    /// <summary>Parses the schema notation.</summary>
    /// <exception cref="FormatException">the text is not one of the four forms.</exception>
    public static Versions Parse(string text)
    {
        text = text.Trim();
        if (text == "none") return None;
        if (text.EndsWith('+')) return new(ParseVersion(text[..^1], text), short.MaxValue);
        var dash = text.IndexOf('-');
        if (dash < 0) { var v = ParseVersion(text, text); return new(v, v); }
        return new(ParseVersion(text[..dash], text), ParseVersion(text[(dash + 1)..], text));
    }

    private static short ParseVersion(string part, string whole) =>
        short.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"'{whole}' is not a version range (expected 'N+', 'N-M', 'N' or 'none')");

    /// <summary>Whether <paramref name="version"/> lies in the range.</summary>
    public bool Contains(short version) => version >= Lowest && version <= Highest;

    /// <summary>The versions in both ranges.</summary>
    public Versions Intersect(Versions other)
    {
        var r = new Versions(Math.Max(Lowest, other.Lowest), Math.Min(Highest, other.Highest));
        return r.IsEmpty ? None : r;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsEmpty ? "none" : Highest == short.MaxValue ? $"{Lowest}+" : Lowest == Highest ? $"{Lowest}" : $"{Lowest}-{Highest}";
}
