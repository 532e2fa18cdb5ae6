using System.Globalization;
using System.Text;

namespace AkkaBroker.Mirror;

/// <summary>
/// Reads Java properties text (<c>java.util.Properties.load</c>), the format of Kafka's <c>consumer.properties</c> and
/// <c>producer.properties</c>, so that files written for Kafka's tools work unchanged:
/// <list type="bullet">
/// <item>Blank lines and lines whose first non-blank character is <c>#</c> or <c>!</c> are skipped.</item>
/// <item>The key ends at the first unescaped <c>=</c>, <c>:</c> or blank; blanks around the one separator are skipped;
/// the rest of the line is the value, trailing blanks included (Kafka trims values when it reads them, as does the
/// client).</item>
/// <item>A line ending in an odd number of backslashes continues on the next line, whose leading blanks are dropped.</item>
/// <item>Escapes: <c>\t</c>, <c>\n</c>, <c>\r</c>, <c>\f</c>, <c>\uXXXX</c>; a backslash before any other character
/// stands for that character (<c>\=</c>, <c>\:</c>, <c>\ </c>, <c>\\</c>).</item>
/// <item>A key given twice keeps its last value.</item>
/// </list>
/// Blanks are space, tab and form feed; lines end with \n, \r or \r\n. Java reads the bytes as ISO-8859-1; this reads
/// text, so a UTF-8 file's values arrive as written.
/// </summary>
public static class JavaProperties
{
    /// <summary>The key/value pairs of <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">a <c>\u</c> escape is not followed by four hex digits; the message gives the line number.</exception>
    public static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (line, number) in LogicalLines(text))
        {
            var (key, value) = Split(line);
            result[Unescape(key, number)] = Unescape(value, number);
        }
        return result;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\f';

    /// <summary>Lines joined across continuations, without leading blanks, comments and blank lines, with the number of the line each starts on.</summary>
    private static IEnumerable<(string Line, int Number)> LogicalLines(string text)
    {
        var natural = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        for (var i = 0; i < natural.Length; i++)
        {
            var line = natural[i].TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] is '#' or '!') continue;
            var number = i + 1;
            var logical = new StringBuilder();
            while (true)
            {
                if (!EndsWithOddBackslashes(line))
                {
                    logical.Append(line);
                    break;
                }
                logical.Append(line, 0, line.Length - 1);
                // A continuation at the end of the text just ends, as in Java.
                if (++i >= natural.Length) break;
                line = natural[i].TrimStart(' ', '\t', '\f');
            }
            yield return (logical.ToString(), number);
        }
    }

    private static bool EndsWithOddBackslashes(string line)
    {
        var count = 0;
        for (var i = line.Length - 1; i >= 0 && line[i] == '\\'; i--) count++;
        return count % 2 == 1;
    }

    /// <summary>Splits a logical line (no leading blanks) into its raw key and raw value, escapes still in them.</summary>
    private static (string Key, string Value) Split(string line)
    {
        var end = 0;
        while (end < line.Length)
        {
            var c = line[end];
            if (c == '\\')
            {
                end += 2;
                continue;
            }
            if (c is '=' or ':' || IsBlank(c)) break;
            end++;
        }
        end = Math.Min(end, line.Length);
        var valueStart = end;
        while (valueStart < line.Length && IsBlank(line[valueStart])) valueStart++;
        if (valueStart < line.Length && line[valueStart] is '=' or ':')
        {
            valueStart++;
            while (valueStart < line.Length && IsBlank(line[valueStart])) valueStart++;
        }
        return (line[..end], line[valueStart..]);
    }

    private static string Unescape(string raw, int lineNumber)
    {
        if (!raw.Contains('\\')) return raw;
        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c != '\\' || i + 1 >= raw.Length)
            {
                // A backslash with nothing after it (continuations already removed theirs) is dropped, as Java drops it.
                if (c != '\\') sb.Append(c);
                continue;
            }
            var next = raw[++i];
            switch (next)
            {
                case 't': sb.Append('\t'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    if (raw.Length - (i + 1) < 4
                        || !ushort.TryParse(raw.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        throw new FormatException($"line {lineNumber}: malformed \\uXXXX escape in '{raw}': \\u must be followed by four hex digits.");
                    sb.Append((char)code);
                    i += 4;
                    break;
                default: sb.Append(next); break;
            }
        }
        return sb.ToString();
    }
}
