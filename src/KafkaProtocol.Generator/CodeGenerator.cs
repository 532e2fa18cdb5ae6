using System.Globalization;
using System.Text;

namespace AkkaBroker.KafkaProtocol.Generator;

/// <summary>
/// Turns message schemas into C# classes that read and write Kafka's wire format. The output depends only on the
/// schema text, so a test can compare it with the committed files.
/// </summary>
public static class CodeGenerator
{
    /// <summary>The namespace of every generated class.</summary>
    public const string Namespace = "AkkaBroker.KafkaProtocol";

    /// <summary>Generates a file for every <c>*.json</c> schema in <paramref name="schemaDirectory"/>: file name to text.</summary>
    /// <exception cref="FormatException">a schema is malformed or uses something the generator does not support.</exception>
    public static SortedDictionary<string, string> GenerateAll(string schemaDirectory)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(schemaDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            var spec = SchemaLoader.Parse(Path.GetFileName(path), File.ReadAllText(path));
            files.Add(spec.ClassName + ".g.cs", Generate(spec));
        }
        return files;
    }

    /// <summary>Generates the file of one message.</summary>
    /// <exception cref="FormatException">the schema uses something the generator does not support.</exception>
    public static string Generate(MessageSpec spec) => new MessageEmitter(spec).Emit();
}

/// <summary>Emits one message class with its nested struct classes.</summary>
internal sealed class MessageEmitter
{
    // Members every generated class has; a nested struct class may not take these names.
    private static readonly HashSet<string> ReservedMembers =
        ["ApiKey", "LowestSupportedVersion", "HighestSupportedVersion", "IsFlexible", "Read", "Write", "HoldsDefaults", "UnknownTaggedFields"];

    private readonly MessageSpec _spec;
    private readonly Versions _valid;
    private readonly List<StructSpec> _structs = [];
    private readonly Dictionary<string, string> _classNames = new(StringComparer.Ordinal);
    private readonly StringBuilder _out = new();
    private int _indent;
    private int _unique;

    public MessageEmitter(MessageSpec spec)
    {
        _spec = spec;
        _valid = spec.ValidVersions;
        CollectStructs(spec.Fields);
        foreach (var common in spec.CommonStructs)
        {
            AddStruct(common);
            CollectStructs(common.Fields);
        }
        var topLevelNames = spec.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var s in _structs)
        {
            // C# forbids a nested class and a property of one name in the same class (Kafka's Java has no such clash,
            // its fields being camelCase), so such a struct class takes the suffix "Data", as the message classes do.
            var clash = topLevelNames.Contains(s.Name) || ReservedMembers.Contains(s.Name) || s.Name + "Data" == spec.ClassName;
            _classNames[s.Name] = clash ? s.Name + "Data" : s.Name;
            if (s.Fields.Any(f => f.Name == s.Name))
                throw new FormatException($"{spec.FileName}: struct {s.Name} has a field of its own name, which C# does not allow");
        }
        foreach (var f in AllFields(spec.Fields))
        {
            if (f.StructName is { } n && !_classNames.ContainsKey(n))
                throw new FormatException($"{spec.FileName}: field {f.Name} has the unknown struct type {n}");
            if (f.Name is "Read" or "Write" or "HoldsDefaults" or "UnknownTaggedFields" || (spec.Fields.Contains(f) && ReservedMembers.Contains(f.Name)))
                throw new FormatException($"{spec.FileName}: field {f.Name} has the name of a generated member");
            if (f.Type.Kind == FieldKind.Struct && !f.NullableVersions.IsEmpty)
                throw new FormatException($"{spec.FileName}: field {f.Name} is a nullable struct, which the generator does not support");
            if (f.Type.Kind == FieldKind.Array && f.Type.Element!.Kind == FieldKind.Array)
                throw new FormatException($"{spec.FileName}: field {f.Name} is an array of arrays, which the schemas never use");
        }
    }

    private IEnumerable<FieldSpec> AllFields(IEnumerable<FieldSpec> fields) =>
        fields.SelectMany(f => new[] { f }.Concat(AllFields(f.Fields ?? [])))
            .Concat(fields == _spec.Fields ? _spec.CommonStructs.SelectMany(c => AllFields(c.Fields)) : []);

    private void CollectStructs(IEnumerable<FieldSpec> fields)
    {
        foreach (var f in fields)
        {
            if (f.Fields is null) continue;
            if (f.StructName is not { } name)
                throw new FormatException($"{_spec.FileName}: field {f.Name} declares fields but is not of a struct type");
            AddStruct(new StructSpec(name, f.Fields, f.About));
            CollectStructs(f.Fields);
        }
    }

    private void AddStruct(StructSpec s)
    {
        if (_structs.Any(x => x.Name == s.Name))
            throw new FormatException($"{_spec.FileName}: struct {s.Name} is declared twice");
        _structs.Add(s);
    }

    public string Emit()
    {
        Line("// <auto-generated>");
        Line($"// Generated by src/KafkaProtocol.Generator from src/KafkaProtocol/Schemas/{_spec.FileName}; do not edit.");
        Line("// Regenerate with the command in src/KafkaProtocol/Schemas/README.md.");
        Line("// </auto-generated>");
        Line("");
        Line("#nullable enable");
        Line("");
        Line($"namespace {CodeGenerator.Namespace};");
        Line("");
        var kind = _spec.Type switch
        {
            "request" => $"Kafka's {_spec.Name} (API key {_spec.ApiKey})",
            "response" => $"Kafka's {_spec.Name} (API key {_spec.ApiKey})",
            _ => $"Kafka's {_spec.Name}",
        };
        EmitClass(_spec.ClassName, _spec.Fields, $"{kind}, versions {_spec.ValidVersions}, flexible from {_spec.FlexibleVersions}.", isMessage: true);
        return _out.ToString();
    }

    private void EmitClass(string className, IReadOnlyList<FieldSpec> fields, string? about, bool isMessage)
    {
        Summary(about ?? $"The {className} structure.");
        // A response that tells a client how long its quota throttles it: the broker sets the field through one interface.
        var throttled = isMessage && _spec.Type == "response" && fields.Any(f => f.Name == "ThrottleTimeMs" && f.Type.Kind == FieldKind.Int32);
        Line($"public sealed class {className} : IKafkaMessage{(throttled ? ", IThrottledResponse" : "")}");
        Open();
        if (isMessage)
        {
            Summary("Kafka's API key of this message; -1 for a header.");
            Line($"public const short ApiKey = {_spec.ApiKey ?? -1};");
            Line("");
            Summary("The lowest version this class reads and writes.");
            Line($"public const short LowestSupportedVersion = {_valid.Lowest};");
            Line("");
            Summary("The highest version this class reads and writes.");
            Line($"public const short HighestSupportedVersion = {_valid.Highest};");
            Line("");
            Summary($"Whether <paramref name=\"version\"/> uses the compact encoding with tagged fields (versions {_spec.FlexibleVersions}).");
            Line($"public static bool IsFlexible(short version) => {Condition(_spec.FlexibleVersions, unclamped: true)};");
            Line("");
        }
        foreach (var f in fields)
        {
            var details = $"Versions {f.Versions}" +
                (f.NullableVersions.IsEmpty ? "" : $", nullable {f.NullableVersions}") +
                (f.Tag is { } tag ? $", tagged field {tag}" : "") + ".";
            Summary(f.About is null ? details : $"{f.About.TrimEnd()} {details}");
            Line($"public {TypeName(f)} {f.Name} {{ get; set; }} = {DefaultValue(f)};");
            Line("");
        }
        Line("private List<(int Tag, byte[] Data)>? _unknownTaggedFields;");
        Line("");
        Summary("Tagged fields this class does not know, kept as read so that writing passes them on.");
        Line("public List<(int Tag, byte[] Data)> UnknownTaggedFields");
        Open();
        Line("get => _unknownTaggedFields ??= new();");
        Line("set => _unknownTaggedFields = value;");
        Close();
        Line("");
        EmitRead(fields);
        Line("");
        EmitWrite(className, fields);
        if (!isMessage)
        {
            Line("");
            Summary("Whether every property holds its schema default; Kafka leaves out a tagged struct field that does.");
            var checks = fields.Select(f => $"!({NonDefault(f, f.Name)})").Append("_unknownTaggedFields is not { Count: > 0 }");
            Line($"public bool HoldsDefaults() => {string.Join(" && ", checks)};");
        }
        if (isMessage)
        {
            foreach (var s in _structs)
            {
                Line("");
                EmitClass(_classNames[s.Name], s.Fields, s.About, isMessage: false);
            }
        }
        Close();
    }

    private void EmitRead(IReadOnlyList<FieldSpec> fields)
    {
        Summary("Replaces every property with the values read at <paramref name=\"version\"/>; properties the version lacks get their defaults.");
        Line("/// <exception cref=\"KafkaProtocolException\">the input is truncated or malformed.</exception>");
        Line("public void Read(ref KafkaReader reader, short version)");
        Open();
        Line("bool flexible = IsFlexible(version);");
        Line("_unknownTaggedFields = null;");
        foreach (var f in fields)
        {
            var present = Condition(f.Versions);
            if (f.Tag is not null || present == "false")
            {
                Line($"{f.Name} = {DefaultValue(f)};");
            }
            else if (present == "true")
            {
                ReadField(f, "reader");
            }
            else
            {
                Line($"if ({present})");
                Open();
                ReadField(f, "reader");
                Close();
                Line("else");
                Open();
                Line($"{f.Name} = {DefaultValue(f)};");
                Close();
            }
        }
        Line("if (flexible)");
        Open();
        Line("int taggedCount = reader.ReadTaggedFieldCount();");
        Line("for (int t = 0; t < taggedCount; t++)");
        Open();
        Line("var tagReader = reader.ReadTaggedField(out int tag);");
        Line("switch (tag)");
        Open();
        foreach (var f in fields.Where(f => f.Tag is not null).OrderBy(f => f.Tag))
        {
            var present = Condition(f.Versions);
            if (present == "false") continue;
            Line(present == "true" ? $"case {f.Tag}:" : $"case {f.Tag} when {present}:");
            Open();
            ReadField(f, "tagReader");
            Line($"tagReader.EnsureConsumed(\"{f.Name}\");");
            Line("break;");
            Close();
        }
        Line("default:");
        Line("    UnknownTaggedFields.Add((tag, tagReader.ReadRemaining()));");
        Line("    break;");
        Close();
        Close();
        Close();
        Close();
    }

    private void ReadField(FieldSpec f, string reader)
    {
        var compact = CompactCondition(f);
        var nullable = Condition(f.NullableVersions, Present(f));
        switch (f.Type.Kind)
        {
            case FieldKind.Array:
            {
                var n = _unique++;
                Line($"int count{n} = {reader}.ReadArrayLength({compact}, {nullable}, \"{f.Name}\");");
                if (nullable != "false")
                {
                    Line($"if (count{n} < 0)");
                    Open();
                    Line($"{f.Name} = null;");
                    Close();
                    Line("else");
                    Open();
                }
                var element = f.Type.Element!;
                Line($"var list{n} = new List<{TypeName(element, nullable: false)}>(count{n});");
                Line($"for (int i{n} = 0; i{n} < count{n}; i{n}++)");
                Open();
                if (element.Kind == FieldKind.Struct)
                {
                    Line($"var element{n} = new {TypeName(element, false)}();");
                    Line($"element{n}.Read(ref {reader}, version);");
                    Line($"list{n}.Add(element{n});");
                }
                else
                {
                    Line($"list{n}.Add({ScalarRead(element, compact, "false", reader, f.Name)});");
                }
                Close();
                Line($"{f.Name} = list{n};");
                if (nullable != "false") Close();
                break;
            }
            case FieldKind.Struct:
            {
                var n = _unique++;
                Line($"var struct{n} = new {TypeName(f.Type, false)}();");
                Line($"struct{n}.Read(ref {reader}, version);");
                Line($"{f.Name} = struct{n};");
                break;
            }
            default:
                Line($"{f.Name} = {ScalarRead(f.Type, compact, nullable, reader, f.Name)};");
                break;
        }
    }

    private static string ScalarRead(FieldType type, string compact, string nullable, string reader, string name)
    {
        string Pair(string method) => nullable switch
        {
            "true" => $"{reader}.ReadNullable{method}({compact}, \"{name}\")",
            "false" => $"{reader}.Read{method}({compact}, \"{name}\")",
            _ => $"({nullable}) ? {reader}.ReadNullable{method}({compact}, \"{name}\") : {reader}.Read{method}({compact}, \"{name}\")",
        };
        return type.Kind switch
        {
            FieldKind.String => Pair("String"),
            FieldKind.Bytes => Pair("Bytes"),
            FieldKind.Records => Pair("Records"),
            _ => $"{reader}.Read{FixedSizeMethod(type.Kind)}(\"{name}\")",
        };
    }

    // The KafkaReader/KafkaWriter method suffix of a fixed-size type: ReadInt32/WriteInt32 and so on.
    private static string FixedSizeMethod(FieldKind kind) => kind switch
    {
        FieldKind.Bool or FieldKind.Int8 or FieldKind.Int16 or FieldKind.UInt16 or FieldKind.Int32 or FieldKind.UInt32
            or FieldKind.Int64 or FieldKind.Float64 or FieldKind.Uuid => kind.ToString(),
        _ => throw new InvalidOperationException($"{kind} has no fixed size"),
    };

    private void EmitWrite(string className, IReadOnlyList<FieldSpec> fields)
    {
        Summary("Writes the properties that <paramref name=\"version\"/> has.");
        Line("/// <exception cref=\"UnsupportedVersionException\">a property the version lacks holds a value other than its default and the schema does not allow dropping it, or unknown tagged fields are set for a version without tagged fields.</exception>");
        Line("/// <exception cref=\"KafkaProtocolException\">a property is null where the version does not allow null.</exception>");
        Line("public void Write(KafkaWriter writer, short version)");
        Open();
        Line("bool flexible = IsFlexible(version);");
        foreach (var f in fields.Where(f => f.Tag is not null && !f.Ignorable))
        {
            var present = Condition(f.Versions);
            if (present == "true") continue;
            var absent = present == "false" ? "" : $"!({present}) && ";
            Line($"if ({absent}{NonDefault(f, f.Name)})");
            Line($"    throw UnsupportedVersionException.NonDefaultField(\"{className}\", \"{f.Name}\", version);");
        }
        foreach (var f in fields.Where(f => f.Tag is null))
        {
            var present = Condition(f.Versions);
            if (present == "true")
            {
                WriteField(f, "writer");
                continue;
            }
            if (present != "false")
            {
                Line($"if ({present})");
                Open();
                WriteField(f, "writer");
                Close();
                if (f.Ignorable) continue;
                Line($"else if ({NonDefault(f, f.Name)})");
            }
            else if (f.Ignorable)
            {
                continue;
            }
            else
            {
                Line($"if ({NonDefault(f, f.Name)})");
            }
            Line($"    throw UnsupportedVersionException.NonDefaultField(\"{className}\", \"{f.Name}\", version);");
        }
        Line("if (flexible)");
        Open();
        Line("TaggedFieldsWriter? tagged = null;");
        foreach (var f in fields.Where(f => f.Tag is not null).OrderBy(f => f.Tag))
        {
            var present = Condition(f.Versions);
            if (present == "false") continue;
            Line(present == "true" ? $"if ({NonDefault(f, f.Name)})" : $"if ({present} && {NonDefault(f, f.Name)})");
            Open();
            Line($"var tagWriter = (tagged ??= new()).Begin({f.Tag});");
            WriteField(f, "tagWriter");
            Close();
        }
        Line("writer.WriteTaggedFields(tagged, _unknownTaggedFields);");
        Close();
        Line("else if (_unknownTaggedFields is { Count: > 0 })");
        Open();
        Line($"throw UnsupportedVersionException.TaggedFields(\"{className}\", version);");
        Close();
        Close();
    }

    private void WriteField(FieldSpec f, string writer)
    {
        var compact = CompactCondition(f);
        var nullable = Condition(f.NullableVersions, Present(f));
        var notNull = $"throw KafkaWriter.NullValue(\"{f.Name}\", version)";
        switch (f.Type.Kind)
        {
            case FieldKind.Array:
            {
                var n = _unique++;
                if (nullable == "false")
                {
                    Line($"var list{n} = {f.Name} ?? {notNull};");
                }
                else
                {
                    Line($"if ({f.Name} is null)");
                    Open();
                    if (nullable != "true")
                    {
                        Line($"if (!({nullable}))");
                        Line($"    {notNull};");
                    }
                    Line($"{writer}.WriteArrayLength({compact}, -1);");
                    Close();
                    Line("else");
                    Open();
                    Line($"var list{n} = {f.Name};");
                }
                Line($"{writer}.WriteArrayLength({compact}, list{n}.Count);");
                Line($"foreach (var element{n} in list{n})");
                Open();
                var element = f.Type.Element!;
                if (element.Kind == FieldKind.Struct)
                    Line($"element{n}.Write({writer}, version);");
                else
                    Line($"{ScalarWrite(element, compact, "false", writer, $"element{n}", f.Name)};");
                Close();
                if (nullable != "false") Close();
                break;
            }
            case FieldKind.Struct:
                Line($"({f.Name} ?? {notNull}).Write({writer}, version);");
                break;
            default:
                if (nullable is "true" or "false")
                {
                    Line($"{ScalarWrite(f.Type, compact, nullable, writer, f.Name, f.Name)};");
                }
                else
                {
                    Line($"if ({nullable})");
                    Line($"    {ScalarWrite(f.Type, compact, "true", writer, f.Name, f.Name)};");
                    Line("else");
                    Line($"    {ScalarWrite(f.Type, compact, "false", writer, f.Name, f.Name)};");
                }
                break;
        }
    }

    private static string ScalarWrite(FieldType type, string compact, string nullable, string writer, string value, string name)
    {
        string Pair(string method) => nullable == "true"
            ? $"{writer}.WriteNullable{method}({compact}, {value})"
            : $"{writer}.Write{method}({compact}, {value} ?? throw KafkaWriter.NullValue(\"{name}\", version))";
        return type.Kind switch
        {
            FieldKind.String => Pair("String"),
            FieldKind.Bytes => Pair("Bytes"),
            FieldKind.Records => Pair("Records"),
            _ => $"{writer}.Write{FixedSizeMethod(type.Kind)}({value})",
        };
    }

    /// <summary>
    /// The C# condition for "version is in <paramref name="range"/>", given that version is known to lie in
    /// <paramref name="context"/> (the valid versions unless said otherwise), so that it folds to "true" or "false" where it can.
    /// </summary>
    private string Condition(Versions range, Versions? context = null, bool unclamped = false)
    {
        var within = unclamped ? new Versions(0, short.MaxValue) : context ?? _valid;
        var r = range.Intersect(within);
        if (r.IsEmpty) return "false";
        var parts = new List<string>();
        if (r.Lowest > within.Lowest) parts.Add($"version >= {r.Lowest}");
        if (r.Highest < within.Highest) parts.Add($"version <= {r.Highest}");
        return parts.Count == 0 ? "true" : string.Join(" && ", parts);
    }

    // A field may override the message's flexible versions: RequestHeader's ClientId stays a non-compact string.
    private string CompactCondition(FieldSpec f) => f.FlexibleVersions is { } v ? Condition(v, Present(f)) : "flexible";

    // Reads and writes of a field happen only in the versions it is present in.
    private Versions Present(FieldSpec f) => f.Versions.Intersect(_valid);

    private string TypeName(FieldSpec f) => TypeName(f.Type, !f.NullableVersions.IsEmpty);

    private string TypeName(FieldType t, bool nullable)
    {
        var q = nullable ? "?" : "";
        return t.Kind switch
        {
            FieldKind.Bool => "bool",
            FieldKind.Int8 => "sbyte",
            FieldKind.Int16 => "short",
            FieldKind.UInt16 => "ushort",
            FieldKind.Int32 => "int",
            FieldKind.UInt32 => "uint",
            FieldKind.Int64 => "long",
            FieldKind.Float64 => "double",
            FieldKind.String => "string" + q,
            FieldKind.Bytes => "byte[]" + q,
            FieldKind.Records => "ReadOnlyMemory<byte>?",
            FieldKind.Uuid => "Guid",
            FieldKind.Array => $"List<{TypeName(t.Element!, false)}>{q}",
            FieldKind.Struct => $"{_spec.ClassName}.{_classNames[t.StructName!]}",
            _ => throw new InvalidOperationException(t.Kind.ToString()),
        };
    }

    private string DefaultValue(FieldSpec f)
    {
        var d = f.Default;
        var nullDefault = d == "null";
        if (nullDefault && f.NullableVersions.IsEmpty)
            throw new FormatException($"{_spec.FileName}: field {f.Name} defaults to null but is never nullable");
        string Unsupported() => throw new FormatException($"{_spec.FileName}: field {f.Name} of type {f.Type.Kind} cannot default to '{d}'");
        return f.Type.Kind switch
        {
            FieldKind.Bool => d is null or "false" ? "false" : d == "true" ? "true" : Unsupported(),
            FieldKind.Int8 => Integer(f, sbyte.MinValue, sbyte.MaxValue),
            FieldKind.Int16 => Integer(f, short.MinValue, short.MaxValue),
            FieldKind.UInt16 => Integer(f, ushort.MinValue, ushort.MaxValue),
            FieldKind.Int32 => Integer(f, int.MinValue, int.MaxValue),
            FieldKind.UInt32 => Integer(f, uint.MinValue, uint.MaxValue),
            FieldKind.Int64 => Integer(f, long.MinValue, long.MaxValue),
            FieldKind.Float64 => Float(f),
            FieldKind.String => nullDefault ? "null" : Literal(d ?? ""),
            FieldKind.Bytes => nullDefault ? "null" : d is null ? "Array.Empty<byte>()" : Unsupported(),
            FieldKind.Records => d is null or "null" ? "null" : Unsupported(),
            FieldKind.Uuid => d is null ? "Guid.Empty" : Unsupported(),
            FieldKind.Array => nullDefault ? "null" : d is null ? "new()" : Unsupported(),
            FieldKind.Struct => d is null ? "new()" : Unsupported(),
            _ => throw new InvalidOperationException(f.Type.Kind.ToString()),
        };
    }

    private string Integer(FieldSpec f, decimal min, decimal max)
    {
        var text = f.Default ?? "0";
        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        decimal value;
        try
        {
            // As the schema README allows: hexadecimal with 0x, octal with a leading 0.
            value = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt64(digits[2..], 16)
                : digits.Length > 1 && digits[0] == '0' ? Convert.ToInt64(digits[1..], 8)
                : decimal.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"{_spec.FileName}: field {f.Name} has the invalid integer default '{text}'", e);
        }
        if (negative) value = -value;
        if (value < min || value > max)
            throw new FormatException($"{_spec.FileName}: field {f.Name}'s default {text} does not fit its type {f.Type.Kind}");
        return value.ToString(CultureInfo.InvariantCulture);
    }

    private string Float(FieldSpec f)
    {
        if (!double.TryParse(f.Default ?? "0", NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new FormatException($"{_spec.FileName}: field {f.Name} has the invalid float default '{f.Default}'");
        var s = v.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s : s + ".0";
    }

    /// <summary>The C# condition that <paramref name="access"/> differs from the field's default.</summary>
    private string NonDefault(FieldSpec f, string access)
    {
        var d = DefaultValue(f);
        return f.Type.Kind switch
        {
            FieldKind.String or FieldKind.Bytes or FieldKind.Array when d == "null" => $"{access} is not null",
            FieldKind.Bytes => $"{access} is not {{ Length: 0 }}",
            FieldKind.Array => $"{access} is not {{ Count: 0 }}",
            FieldKind.Records => $"{access}.HasValue",
            FieldKind.Struct => $"({access} is null || !{access}.HoldsDefaults())",
            _ => $"{access} != {d}",
        };
    }

    private static string Literal(string s)
    {
        var b = new StringBuilder("\"");
        foreach (var c in s)
        {
            b.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return b.Append('"').ToString();
    }

    private void Summary(string text)
    {
        var escaped = text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
            .Replace("&lt;paramref name=\"version\"/&gt;", "<paramref name=\"version\"/>");
        Line($"/// <summary>{escaped}</summary>");
    }

    private void Open()
    {
        Line("{");
        _indent++;
    }

    private void Close()
    {
        _indent--;
        Line("}");
    }

    private void Line(string text)
    {
        if (text.Length > 0) _out.Append(' ', _indent * 4).Append(text);
        _out.Append('\n');
    }
}
