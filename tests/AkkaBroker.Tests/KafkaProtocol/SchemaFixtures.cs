using System.Collections;
using System.Reflection;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.KafkaProtocol.Generator;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

/// <summary>
/// The vendored schemas, read with the generator's own loader, and helpers that use them to fill generated objects with
/// values other than the defaults and to compare objects property by property.
/// </summary>
internal static class SchemaFixtures
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string SchemaDirectory => Path.Combine(RepositoryRoot, "src", "KafkaProtocol", "Schemas");

    public static string GeneratedDirectory => Path.Combine(RepositoryRoot, "src", "KafkaProtocol", "Generated");

    public static IReadOnlyList<MessageSpec> Specs { get; } = Directory.GetFiles(SchemaDirectory, "*.json")
        .Order(StringComparer.Ordinal)
        .Select(p => SchemaLoader.Parse(Path.GetFileName(p), File.ReadAllText(p)))
        .ToList();

    public static MessageSpec Spec(string name) => Specs.Single(s => s.Name == name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AkkaBroker.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no AkkaBroker.sln above {AppContext.BaseDirectory}");
    }

    public static Type ClassOf(MessageSpec spec) =>
        typeof(IKafkaMessage).Assembly.GetType($"AkkaBroker.KafkaProtocol.{spec.ClassName}")
        ?? throw new InvalidOperationException($"no generated class {spec.ClassName}");

    /// <summary>
    /// Sets every field present at <paramref name="version"/> to a value other than its default (or to null where the
    /// version allows null and <paramref name="nulls"/> asks for it), recursing into structs and arrays, and adds an
    /// unknown tagged field at flexible versions.
    /// </summary>
    public static void Fill(object target, MessageSpec spec, IReadOnlyList<FieldSpec> fields, short version, bool nulls, ref int seed)
    {
        var type = target.GetType();
        foreach (var f in fields)
        {
            if (!f.Versions.Contains(version)) continue;
            var property = type.GetProperty(f.Name) ?? throw new InvalidOperationException($"{type.Name} has no property {f.Name}");
            var current = property.GetValue(target);
            object? value;
            if (nulls && f.NullableVersions.Contains(version)) value = null;
            else value = NonDefault(f.Type, property.PropertyType, current, spec, f, version, nulls, ref seed);
            property.SetValue(target, value);
        }
        var isFlexible = (bool)ClassOf(spec).GetMethod("IsFlexible")!.Invoke(null, [version])!;
        if (isFlexible)
            ((IKafkaMessage)target).GetType().GetProperty("UnknownTaggedFields")!
                .SetValue(target, new List<(int Tag, byte[] Data)> { (1000 + seed % 7, new byte[] { 0xAB, (byte)seed++ }) });
    }

    private static object? NonDefault(FieldType t, Type clr, object? current, MessageSpec spec, FieldSpec f, short version, bool nulls, ref int seed)
    {
        seed++;
        switch (t.Kind)
        {
            case FieldKind.Bool: return !(bool)current!;
            // Small seeds keep every candidate clear of the schemas' defaults (-1, 0, 1, -2, 60000, int limits).
            // Int8 defaults include small codes (an ACL pattern type's 3): the next value stands in for one that equals it.
            case FieldKind.Int8: return Differ(Equals((sbyte)(seed % 100 + 2), current) ? (sbyte)(seed % 100 + 3) : (sbyte)(seed % 100 + 2), current);
            case FieldKind.Int16: return Differ((short)(seed + 1000), current);
            case FieldKind.UInt16: return Differ((ushort)(seed + 2000), current);
            case FieldKind.Int32: return Differ(seed + 100_000, current);
            case FieldKind.UInt32: return Differ((uint)seed + 3_000_000_000u, current);
            case FieldKind.Int64: return Differ(seed + 10_000_000_000L, current);
            case FieldKind.Float64: return seed + 0.25;
            case FieldKind.String: return $"{f.Name}-é-{seed}";
            case FieldKind.Bytes: return new byte[] { 1, 2, (byte)seed };
            case FieldKind.Records:
                // A slice in the middle of a larger array, as the reader hands them out.
                return (ReadOnlyMemory<byte>?)new ReadOnlyMemory<byte>(new byte[] { 0xEE, 5, 6, (byte)seed, 0xEE }, 1, 3);
            case FieldKind.Uuid: return new Guid(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, (byte)seed }, bigEndian: true);
            case FieldKind.Struct:
            {
                var s = Activator.CreateInstance(clr)!;
                Fill(s, spec, StructFields(spec, t.StructName!), version, nulls, ref seed);
                return s;
            }
            case FieldKind.Array:
            {
                var list = (IList)Activator.CreateInstance(clr.IsGenericType ? clr : Nullable.GetUnderlyingType(clr)!)!;
                var elementType = list.GetType().GetGenericArguments()[0];
                for (var i = 0; i < 2; i++)
                {
                    if (t.Element!.Kind == FieldKind.Struct)
                    {
                        var e = Activator.CreateInstance(elementType)!;
                        Fill(e, spec, StructFields(spec, t.Element.StructName!), version, nulls, ref seed);
                        list.Add(e);
                    }
                    else
                    {
                        var elementDefault = elementType.IsValueType ? Activator.CreateInstance(elementType) : null;
                        list.Add(NonDefault(t.Element, elementType, elementDefault, spec, f, version, nulls, ref seed));
                    }
                }
                return list;
            }
            default: throw new InvalidOperationException(t.Kind.ToString());
        }
    }

    private static object Differ<T>(T candidate, object? current) where T : struct =>
        Equals(candidate, current) ? throw new InvalidOperationException($"candidate {candidate} equals the default") : candidate;

    public static IReadOnlyList<FieldSpec> StructFields(MessageSpec spec, string structName) =>
        FindStruct(spec.Fields, structName) ?? spec.CommonStructs.Single(c => c.Name == structName).Fields;

    private static IReadOnlyList<FieldSpec>? FindStruct(IEnumerable<FieldSpec> fields, string name)
    {
        foreach (var f in fields)
        {
            if (f.Fields is null) continue;
            if (f.StructName == name) return f.Fields;
            if (FindStruct(f.Fields, name) is { } found) return found;
        }
        return null;
    }

    /// <summary>Asserts that two generated objects hold equal values in every property, naming the first that differs.</summary>
    public static void AssertDeepEqual(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {Show(expected)}, got {Show(actual)}");
            return;
        }
        switch (expected)
        {
            case byte[] e:
                Assert.True(e.AsSpan().SequenceEqual((byte[])actual), $"{path}: expected {Show(e)}, got {Show(actual)}");
                return;
            case ReadOnlyMemory<byte> m:
                Assert.True(m.Span.SequenceEqual(((ReadOnlyMemory<byte>)actual).Span), $"{path}: expected {Show(m.ToArray())}, got {Show(((ReadOnlyMemory<byte>)actual).ToArray())}");
                return;
            case ValueTuple<int, byte[]> tuple:
                var other = (ValueTuple<int, byte[]>)actual;
                Assert.True(tuple.Item1 == other.Item1, $"{path}: expected tag {tuple.Item1}, got {other.Item1}");
                AssertDeepEqual(tuple.Item2, other.Item2, path + ".Data");
                return;
            case IList list:
                var actualList = (IList)actual;
                Assert.True(list.Count == actualList.Count, $"{path}: expected {list.Count} elements, got {actualList.Count}");
                for (var i = 0; i < list.Count; i++) AssertDeepEqual(list[i], actualList[i], $"{path}[{i}]");
                return;
            case IKafkaMessage:
                foreach (var p in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    AssertDeepEqual(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}");
                return;
            default:
                Assert.True(expected.Equals(actual), $"{path}: expected {Show(expected)}, got {Show(actual)}");
                return;
        }
    }

    private static string Show(object? o) => o switch
    {
        null => "null",
        byte[] b => Convert.ToHexString(b),
        _ => o.ToString() ?? "",
    };
}
