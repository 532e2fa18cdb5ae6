namespace AkkaBroker.Protocol;

/// <summary>
/// Arrays for bytes about to be written whole, record batches above all. They are not zeroed first: the write that
/// follows covers every byte, and zeroing a fresh batch-sized array costs about as much as the copy that fills it.
/// </summary>
public static class ByteArrays
{
    /// <summary>An array of <paramref name="length"/> bytes whose contents mean nothing until the caller has written all of them.</summary>
    public static byte[] ForOverwrite(int length) => GC.AllocateUninitializedArray<byte>(length);

    /// <summary>A copy of <paramref name="source"/>.</summary>
    public static byte[] CopyOf(ReadOnlySpan<byte> source)
    {
        var copy = ForOverwrite(source.Length);
        source.CopyTo(copy);
        return copy;
    }
}
