using System.Globalization;

namespace AkkaBroker.Actors.Topics;

/// <summary>
/// Validates per-topic configs as Kafka's LogConfig does: unknown names and out-of-range values are refused with a
/// message naming the key, the value and what is allowed.
/// </summary>
public static class TopicConfigValidator
{
    private sealed record Rule(string Key, string Allowed, Func<string, bool> IsValid);

    private static readonly Rule[] Rules =
    [
        new(TopicConfig.CleanupPolicyKey, "a comma-separated list of 'delete' and 'compact'",
            v =>
            {
                var parts = v.Split(',', StringSplitOptions.TrimEntries);
                return parts.Length > 0 && parts.All(p => p is "delete" or "compact");
            }),
        new(TopicConfig.RetentionMsKey, "a whole number of milliseconds, at least -1 (-1: keep forever)", v => IsLong(v, -1, long.MaxValue)),
        new(TopicConfig.RetentionBytesKey, "a whole number of bytes, at least -1 (-1: no limit)", v => IsLong(v, -1, long.MaxValue)),
        new(TopicConfig.SegmentBytesKey, "a whole number of bytes from 14 to 2147483647", v => IsLong(v, 14, int.MaxValue)),
        new(TopicConfig.MaxMessageBytesKey, "a whole number of bytes from 0 to 2147483647", v => IsLong(v, 0, int.MaxValue)),
        new(TopicConfig.MessageTimestampTypeKey, "CreateTime or LogAppendTime", v => v is "CreateTime" or "LogAppendTime"),
        new(TopicConfig.MinInsyncReplicasKey, "a whole number from 1 to 2147483647", v => IsLong(v, 1, int.MaxValue)),
        new(TopicConfig.UncleanLeaderElectionEnableKey, "true or false", v => v is "true" or "false"),
        new(TopicConfig.SegmentMsKey, "a whole number of milliseconds, at least 1", v => IsLong(v, 1, long.MaxValue)),
        new(TopicConfig.DeleteRetentionMsKey, "a whole number of milliseconds, at least 0", v => IsLong(v, 0, long.MaxValue)),
        new(TopicConfig.MinCleanableDirtyRatioKey, "a number from 0 to 1", v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 1),
        new(TopicConfig.MinCompactionLagMsKey, "a whole number of milliseconds, at least 0", v => IsLong(v, 0, long.MaxValue)),
        new(TopicConfig.MaxCompactionLagMsKey, "a whole number of milliseconds, at least 1", v => IsLong(v, 1, long.MaxValue)),
    ];

    public static IReadOnlyCollection<string> KnownKeys { get; } = Rules.Select(r => r.Key).ToArray();

    /// <summary>What <paramref name="key"/> allows (<c>a whole number of milliseconds, at least 0</c>), or null for an unknown key.</summary>
    public static string? Requirement(string key) => Array.Find(Rules, r => r.Key == key)?.Allowed;

    /// <summary>Null when every entry is a known key with an allowed value, else the first problem found.</summary>
    public static string? Validate(IReadOnlyDictionary<string, string> overrides)
    {
        foreach (var (key, value) in overrides)
        {
            var rule = Array.Find(Rules, r => r.Key == key);
            if (rule == null)
                return $"Unknown topic config name '{key}'. Known names: {string.Join(", ", KnownKeys)}.";
            if (value == null || !rule.IsValid(value.Trim()))
                return $"Invalid value '{value}' for configuration {key}: it must be {rule.Allowed}.";
        }
        return null;
    }

    /// <summary>The keys in <paramref name="keys"/> that are not topic configs.</summary>
    public static string? ValidateKeys(IEnumerable<string> keys)
    {
        var unknown = keys.Where(k => !KnownKeys.Contains(k)).ToArray();
        return unknown.Length == 0 ? null : $"Unknown topic config name(s): {string.Join(", ", unknown)}. Known names: {string.Join(", ", KnownKeys)}.";
    }

    private static bool IsLong(string v, long min, long max) =>
        long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max;
}
