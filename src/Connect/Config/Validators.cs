using System.Text.RegularExpressions;

namespace AkkaBroker.Connect.Config;

/// <summary>Validators for <see cref="ConfigDef.Define"/>, with Kafka's wording in their errors.</summary>
public static class Validators
{
    /// <summary>A number at least <paramref name="min"/>.</summary>
    public static Action<string, object?> AtLeast(double min) => (name, value) =>
    {
        if (Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) < min)
            throw new ConfigException(name, value, $"Value must be at least {min}");
    };

    /// <summary>A number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Action<string, object?> Between(double min, double max) => (name, value) =>
    {
        var d = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        if (d < min || d > max) throw new ConfigException(name, value, $"Value must be no less than {min} and no more than {max}");
    };

    /// <summary>One of <paramref name="allowed"/> (case-insensitive, as Kafka's <c>CaseInsensitiveValidString</c>).</summary>
    public static Action<string, object?> In(params string[] allowed) => (name, value) =>
    {
        if (!allowed.Contains(value as string, StringComparer.OrdinalIgnoreCase))
            throw new ConfigException(name, value, $"String must be one of: {string.Join(", ", allowed)}");
    };

    /// <summary>A string that is not empty.</summary>
    public static readonly Action<string, object?> NonEmptyString = (name, value) =>
    {
        if (value is string s && s.Trim().Length == 0) throw new ConfigException(name, value, "String may not be empty");
    };

    /// <summary>A list with at least one element.</summary>
    public static readonly Action<string, object?> NonEmptyList = (name, value) =>
    {
        if (value is List<string> { Count: 0 }) throw new ConfigException(name, value, "Empty list");
    };

    /// <summary>A valid .NET regular expression.</summary>
    public static readonly Action<string, object?> Regex = (name, value) =>
    {
        try
        {
            _ = new Regex((string)value!);
        }
        catch (ArgumentException e)
        {
            throw new ConfigException(name, value, $"Not a valid regular expression: {e.Message}");
        }
    };
}
