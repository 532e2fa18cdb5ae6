using System.Buffers;

namespace AkkaBroker.KafkaProtocol;

/// <summary>
/// Collects the known tagged fields of one struct while it is written: each is written into a buffer of its own first,
/// since the wire puts its size before it. Generated code creates one only when a tagged field holds a non-default value.
/// </summary>
public sealed class TaggedFieldsWriter
{
    private readonly List<(int Tag, ArrayBufferWriter<byte> Data)> _fields = [];

    /// <summary>Starts the field <paramref name="tag"/>; what is written to the returned writer becomes its data.</summary>
    public KafkaWriter Begin(int tag)
    {
        var data = new ArrayBufferWriter<byte>();
        _fields.Add((tag, data));
        return new KafkaWriter(data);
    }

    internal IReadOnlyList<(int Tag, ArrayBufferWriter<byte> Data)> Fields => _fields;
}
