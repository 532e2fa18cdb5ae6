using System.Buffers;
using AkkaBroker.KafkaProtocol;
using AkkaBroker.KafkaProtocol.Generator;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

public class MessageRoundTripTests
{
    /// <summary>Every message at every version it has, each with nulls where allowed and without.</summary>
    public static TheoryData<string, short, bool> EveryMessageAndVersion()
    {
        var data = new TheoryData<string, short, bool>();
        foreach (var spec in SchemaFixtures.Specs)
            for (var v = spec.ValidVersions.Lowest; v <= spec.ValidVersions.Highest; v++)
            {
                data.Add(spec.Name, v, false);
                data.Add(spec.Name, v, true);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryMessageAndVersion))]
    public void Message_with_non_default_values_reads_back_equal(string name, short version, bool nulls)
    {
        var spec = SchemaFixtures.Spec(name);
        var type = SchemaFixtures.ClassOf(spec);
        var original = (IKafkaMessage)Activator.CreateInstance(type)!;
        var seed = version * 31;
        SchemaFixtures.Fill(original, spec, spec.Fields, version, nulls, ref seed);

        var bytes = WriteToArray(original, version);
        var copy = (IKafkaMessage)Activator.CreateInstance(type)!;
        var reader = new KafkaReader(bytes);
        copy.Read(ref reader, version);

        Assert.True(reader.Remaining == 0, $"{name} v{version}: {reader.Remaining} bytes were left unread");
        SchemaFixtures.AssertDeepEqual(original, copy, $"{name} v{version}");
        Assert.Equal(bytes, WriteToArray(copy, version));
    }

    [Fact]
    public void Every_api_is_tested_at_its_lowest_first_flexible_and_highest_version()
    {
        var covered = EveryMessageAndVersion().Select(row => ((string)row[0], (short)row[1])).ToHashSet();
        foreach (var api in ApiKeys.All)
        {
            foreach (var v in new[] { api.LowestVersion, api.FirstFlexibleVersion, api.HighestVersion }.Where(v => v >= 0))
            {
                Assert.Contains((api.RequestType.Name[..^4], v), covered);
                Assert.Contains((api.ResponseType.Name[..^4], v), covered);
            }
        }
    }

    [Fact]
    public void Writing_a_non_default_value_of_a_field_the_version_lacks_throws_naming_the_field()
    {
        // Metadata's AllowAutoTopicCreation (default true) arrived in v4 and is not ignorable.
        var request = new MetadataRequestData { AllowAutoTopicCreation = false };
        var ex = Assert.Throws<UnsupportedVersionException>(() => WriteToArray(request, 3));
        Assert.Equal("AllowAutoTopicCreation", ex.Field);
        Assert.Contains("AllowAutoTopicCreation", ex.Message);
        WriteToArray(request, 4);
    }

    [Fact]
    public void An_ignorable_field_the_version_lacks_is_dropped_silently()
    {
        // ThrottleTimeMs is ignorable and absent from Metadata v0.
        var response = new MetadataResponseData { ThrottleTimeMs = 500 };
        var copy = new MetadataResponseData();
        var bytes = WriteToArray(response, 0);
        var reader = new KafkaReader(bytes);
        copy.Read(ref reader, 0);
        Assert.Equal(0, copy.ThrottleTimeMs);
    }

    [Fact]
    public void Unknown_tagged_fields_cannot_be_written_at_a_version_without_tagged_fields()
    {
        var request = new MetadataRequestData();
        request.UnknownTaggedFields.Add((7, [1]));
        var ex = Assert.Throws<UnsupportedVersionException>(() => WriteToArray(request, 8));
        Assert.Null(ex.Field);
        WriteToArray(request, 9);
    }

    [Fact]
    public void Null_in_a_field_the_version_does_not_let_be_null_is_refused_on_write()
    {
        // Metadata topics may be null (all topics) from v1 on, not in v0.
        var request = new MetadataRequestData { Topics = null };
        var ex = Assert.Throws<KafkaProtocolException>(() => WriteToArray(request, 0));
        Assert.Equal("Topics", ex.Field);
        WriteToArray(request, 1);
    }

    [Fact]
    public void A_tagged_struct_holding_its_defaults_is_left_out()
    {
        var partition = new FetchResponseData.PartitionData { PartitionIndex = 1 };
        var response = new FetchResponseData { Responses = [new() { TopicId = Guid.NewGuid(), Partitions = [partition] }] };
        var withDefaults = WriteToArray(response, 16);
        partition.CurrentLeader.LeaderId = 3;
        var withLeader = WriteToArray(response, 16);
        // Tag 1 (current leader): tag, size 9, leader id 3, epoch -1 and the struct's own empty tagged section.
        Assert.Equal(withDefaults.Length + 11, withLeader.Length);
        var copy = new FetchResponseData();
        var reader = new KafkaReader(withLeader);
        copy.Read(ref reader, 16);
        Assert.Equal(3, copy.Responses[0].Partitions[0].CurrentLeader.LeaderId);
        Assert.Equal(-1, copy.Responses[0].Partitions[0].CurrentLeader.LeaderEpoch);
    }

    [Fact]
    public void Defaults_follow_the_schema()
    {
        var partition = new FetchResponseData.PartitionData();
        Assert.Equal(-1, partition.LastStableOffset);
        Assert.Equal(-1, partition.PreferredReadReplica);
        Assert.Null(partition.Records);
        Assert.NotNull(partition.AbortedTransactions);
        Assert.Empty(partition.AbortedTransactions);
        Assert.True(new MetadataRequestData().AllowAutoTopicCreation);
        Assert.Null(new ProduceRequestData().TransactionalId);
        Assert.Equal(0x7fffffff, new FetchRequestData().MaxBytes);
        Assert.Equal("", new RequestHeaderData().ClientId);
        Assert.Equal(Guid.Empty, new MetadataRequestData.MetadataRequestTopic().TopicId);
    }

    [Fact]
    public void Nested_struct_classes_carry_the_schema_names()
    {
        Assert.NotNull(typeof(MetadataResponseData.MetadataResponseTopic));
        Assert.NotNull(typeof(MetadataResponseData.MetadataResponsePartition));
        Assert.NotNull(typeof(ProduceRequestData.TopicProduceData));
        Assert.NotNull(typeof(ProduceRequestData.PartitionProduceData));
        Assert.Equal(typeof(List<MetadataResponseData.MetadataResponseTopic>), typeof(MetadataResponseData).GetProperty("Topics")!.PropertyType);
        // FetchRequest has a field ReplicaState of struct type ReplicaState; C# cannot nest both under one name.
        Assert.Equal(typeof(FetchRequestData.ReplicaStateData), typeof(FetchRequestData).GetProperty("ReplicaState")!.PropertyType);
    }

    internal static byte[] WriteToArray(IKafkaMessage message, short version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        message.Write(new KafkaWriter(buffer), version);
        return buffer.WrittenSpan.ToArray();
    }
}
