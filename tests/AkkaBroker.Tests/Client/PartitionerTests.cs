using System.Text;
using AkkaBroker.Client;
using Xunit;

namespace AkkaBroker.Tests.Client;

public class PartitionerTests
{
    // Vectors from Apache Kafka's UtilsTest.testMurmur2, so keys land where Kafka's Java client puts them.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_kafkas_java_client(string key, int expected)
    {
        Assert.Equal(expected, Murmur2Partitioner.Murmur2(Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public void Keyed_partition_is_the_positive_hash_modulo_the_partition_count()
    {
        // toPositive(-790332482) = 1357151166; 1357151166 % 12 = 6.
        Assert.Equal(1357151166 % 12, Murmur2Partitioner.ForKey(Encoding.UTF8.GetBytes("foobar"), 12));
        for (var n = 1; n < 50; n++)
            Assert.InRange(Murmur2Partitioner.ForKey(Encoding.UTF8.GetBytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), n), 0, n - 1);
    }
}
