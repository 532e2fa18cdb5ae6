using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AkkaBroker.Connect.Internal;

/// <summary>
/// Java's text formats that Kafka's configurations and outputs are written in: <c>SimpleDateFormat</c> patterns,
/// <c>Matcher</c> replacement strings and <c>Double.toString</c>, translated to .NET so that configurations written for
/// Kafka Connect mean the same here.
/// </summary>
internal static class JavaFormats
{
    /// <summary>
    /// The .NET custom format for a <c>SimpleDateFormat</c> pattern. Supported letters: G y M L d H k h K m s S a E z Z X;
    /// quoted text and every other character are literals. S counts fractions of a second, so only <c>SSS</c> (milliseconds)
    /// means exactly what it means in Java. Time zones are always UTC: <c>z</c> writes "UTC", <c>Z</c> writes "+0000",
    /// <c>X</c> writes "Z" (and reads offsets).
    /// </summary>
    /// <exception cref="FormatException">the pattern has a letter .NET cannot express (D, w, W, F, u) or an unclosed quote.</exception>
    public static string DateFormatToDotNet(string pattern)
    {
        var result = new StringBuilder();
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\'')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '\'')
                {
                    result.Append("\\'");
                    i += 2;
                    continue;
                }
                var end = i + 1;
                var text = new StringBuilder();
                while (true)
                {
                    if (end >= pattern.Length) throw new FormatException($"Unterminated quote in date pattern '{pattern}'.");
                    if (pattern[end] == '\'')
                    {
                        if (end + 1 < pattern.Length && pattern[end + 1] == '\'') { text.Append('\''); end += 2; continue; }
                        break;
                    }
                    text.Append(pattern[end++]);
                }
                foreach (var t in text.ToString()) AppendLiteral(result, t);
                i = end + 1;
                continue;
            }
            if (!char.IsAsciiLetter(c))
            {
                AppendLiteral(result, c);
                i++;
                continue;
            }
            var count = 1;
            while (i + count < pattern.Length && pattern[i + count] == c) count++;
            i += count;
            switch (c)
            {
                case 'G': result.Append("gg"); break;
                case 'y' or 'Y': result.Append(count == 2 ? "yy" : new string('y', Math.Max(count, 3))); break;
                case 'M' or 'L': result.Append(count >= 4 ? "MMMM" : new string('M', count)); break;
                case 'd': result.Append(count >= 2 ? "dd" : "d"); break;
                case 'H' or 'k': result.Append(count >= 2 ? "HH" : "H"); break;
                case 'h' or 'K': result.Append(count >= 2 ? "hh" : "h"); break;
                case 'm': result.Append(count >= 2 ? "mm" : "m"); break;
                case 's': result.Append(count >= 2 ? "ss" : "s"); break;
                case 'S': result.Append(new string('f', Math.Min(count, 7))); break;
                case 'a': result.Append("tt"); break;
                case 'E': result.Append(count >= 4 ? "dddd" : "ddd"); break;
                case 'z': foreach (var t in count >= 4 ? "Coordinated Universal Time" : "UTC") AppendLiteral(result, t); break;
                case 'Z': foreach (var t in "+0000") AppendLiteral(result, t); break;
                case 'X': result.Append('K'); break;
                default: throw new FormatException($"Date pattern letter '{c}' in '{pattern}' is not supported.");
            }
        }
        var format = result.ToString();
        // A single custom specifier alone would be read as a standard format ("d" is the short date).
        return format.Length == 1 ? "%" + format : format;
    }

    private static void AppendLiteral(StringBuilder result, char c) => result.Append('\\').Append(c);

    /// <summary>
    /// The .NET replacement pattern for a Java <c>Matcher</c> replacement: <c>$n</c> (as many digits as name an existing
    /// group), <c>${name}</c>, and backslash escapes.
    /// </summary>
    /// <exception cref="ArgumentException">a group reference is invalid, as Java's "Illegal group reference".</exception>
    public static string ReplacementToDotNet(string replacement, Regex regex)
    {
        var groupCount = regex.GetGroupNumbers().Max();
        var result = new StringBuilder();
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '\\')
            {
                if (++i >= replacement.Length) throw new ArgumentException("character to be escaped is missing");
                result.Append(replacement[i] == '$' ? "$$" : replacement[i].ToString());
            }
            else if (c == '$')
            {
                if (++i >= replacement.Length) throw new ArgumentException("Illegal group reference: group index is missing");
                if (replacement[i] == '{')
                {
                    var end = replacement.IndexOf('}', i);
                    if (end < 0) throw new ArgumentException("named capturing group is missing trailing '}'");
                    var name = replacement[(i + 1)..end];
                    if (regex.GroupNumberFromName(name) < 0) throw new ArgumentException($"No group with name {{{name}}}");
                    result.Append("${").Append(name).Append('}');
                    i = end;
                }
                else if (char.IsAsciiDigit(replacement[i]))
                {
                    var group = replacement[i] - '0';
                    if (group > groupCount) throw new ArgumentException($"No group {group}");
                    while (i + 1 < replacement.Length && char.IsAsciiDigit(replacement[i + 1]) && group * 10 + (replacement[i + 1] - '0') <= groupCount)
                        group = group * 10 + (replacement[++i] - '0');
                    result.Append("${").Append(group.ToString(CultureInfo.InvariantCulture)).Append('}');
                }
                else throw new ArgumentException("Illegal group reference");
            }
            else result.Append(c);
        }
        return result.ToString();
    }

    /// <summary>Java's <c>String.split</c> on one character: trailing empty parts are dropped.</summary>
    public static string[] Split(string text, char separator)
    {
        var parts = text.Split(separator);
        var count = parts.Length;
        while (count > 0 && parts[count - 1].Length == 0) count--;
        return parts[..count];
    }

    /// <summary>A double as Java's <c>Double.toString</c> writes it: "1.0", "0.001", "1.0E7", "1.5E-5", "NaN", "Infinity".</summary>
    public static string DoubleToString(double value) => FloatingToString(value, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>A float as Java's <c>Float.toString</c> writes it.</summary>
    public static string FloatToString(float value) => FloatingToString(value, value.ToString("R", CultureInfo.InvariantCulture));

    private static string FloatingToString(double value, string shortest)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        var negative = shortest.StartsWith('-');
        var text = negative ? shortest[1..] : shortest;
        // Decompose the shortest round-trip text into its digits and the position of the decimal point.
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var digits = dot < 0 ? text : text.Remove(dot, 1);
        var point = (dot < 0 ? text.Length : dot) + exponent;
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        point -= leading;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var abs = Math.Abs(value);
        string body;
        if (abs >= 1e-3 && abs < 1e7)
        {
            if (point <= 0) body = "0." + new string('0', -point) + digits;
            else if (point >= digits.Length) body = digits + new string('0', point - digits.Length) + ".0";
            else body = digits[..point] + "." + digits[point..];
        }
        else
        {
            body = digits[..1] + "." + (digits.Length > 1 ? digits[1..] : "0") + "E" + (point - 1).ToString(CultureInfo.InvariantCulture);
        }
        return negative ? "-" + body : body;
    }
}
