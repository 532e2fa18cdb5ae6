namespace AkkaBroker.Protocol;

/// <summary>Names the known configuration key a misspelt one was most likely meant to be, for error messages.</summary>
public static class NearestKey
{
    /// <summary>The key of <paramref name="known"/> closest to <paramref name="key"/> by edit distance, or null when <paramref name="known"/> is empty.</summary>
    public static string? Of(string key, IEnumerable<string> known) => known.MinBy(k => Distance(k, key));

    /// <summary>Levenshtein distance between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }
}
