using AkkaBroker.Client;
using Xunit;

namespace AkkaBroker.Tests.Client;

public class SerdesTests
{
    private sealed record Order(string Id, int Quantity, decimal Price);

    private static readonly SerializationContext Ctx = new(MessageComponentType.Value, "t");

    [Fact]
    public void Json_values_round_trip_and_null_stays_null()
    {
        var order = new Order("o-1", 3, 9.99m);
        var bytes = new JsonSerializer<Order>().Serialize(order, Ctx)!;
        Assert.Equal(order, new JsonDeserializer<Order>().Deserialize(bytes, false, Ctx));
        Assert.Null(new JsonSerializer<Order?>().Serialize(null, Ctx));
        Assert.Null(new JsonDeserializer<Order?>().Deserialize(ReadOnlySpan<byte>.Empty, true, Ctx));
    }

    [Fact]
    public void Integers_are_big_endian_like_kafkas_serializers()
    {
        Assert.Equal([0, 0, 1, 2], Serializers.Int32.Serialize(258, Ctx));
        Assert.Equal(258, Deserializers.Int32.Deserialize(new byte[] { 0, 0, 1, 2 }, false, Ctx));
        Assert.Equal(-5L, Deserializers.Int64.Deserialize(Serializers.Int64.Serialize(-5L, Ctx), false, Ctx));
        Assert.Throws<FormatException>(() => Deserializers.Int32.Deserialize(new byte[] { 1, 2 }, false, Ctx));
    }

    [Fact]
    public void Strings_and_byte_arrays_keep_null_and_empty_apart()
    {
        Assert.Null(Serializers.Utf8.Serialize(null!, Ctx));
        Assert.Equal("", Deserializers.Utf8.Deserialize(ReadOnlySpan<byte>.Empty, false, Ctx));
        Assert.Null(Deserializers.Utf8.Deserialize(ReadOnlySpan<byte>.Empty, true, Ctx));
        Assert.Equal("héllo", Deserializers.Utf8.Deserialize(Serializers.Utf8.Serialize("héllo", Ctx), false, Ctx));
        Assert.Equal([1, 2], Deserializers.ByteArray.Deserialize(new byte[] { 1, 2 }, false, Ctx));
    }

    [Fact]
    public void Typed_config_properties_write_kafkas_keys()
    {
        var c = new ProducerConfig { Acks = Acks.Leader, LingerMs = 7, EnableIdempotence = false, CompressionType = CompressionType.Lz4 };
        Assert.Equal("1", c.Get("acks"));
        Assert.Equal("7", c.Get("linger.ms"));
        Assert.Equal("false", c.Get("enable.idempotence"));
        Assert.Equal("lz4", c.Get("compression.type"));
        var cc = new ConsumerConfig { AutoOffsetReset = AutoOffsetReset.Error };
        Assert.Equal("none", cc.Get("auto.offset.reset"));
        Assert.Equal(AutoOffsetReset.Error, cc.AutoOffsetReset);
    }
}
