using System.Buffers;
using System.Runtime.InteropServices;
using AkkaBroker.KafkaProtocol;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

public class KafkaRequestFrameTests
{
    private static byte[] RequestFrame(ApiKey key, short version, object body, string? clientId = "test-client")
    {
        var output = new ArrayBufferWriter<byte>();
        KafkaRequestFrame.WriteRequest(output, key, version, correlationId: 77, clientId, body);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_produce_request_reads_back_with_its_records_as_a_slice_of_the_frame()
    {
        var records = new byte[] { 1, 2, 3, 4, 5 };
        var frame = RequestFrame(ApiKey.Produce, 9, new ProduceRequestData
        {
            Acks = -1,
            TimeoutMs = 30_000,
            TopicData = [new() { Name = "orders", PartitionData = [new() { Index = 2, Records = records }] }],
        });
        var withoutPrefix = frame.AsMemory(4);

        var (header, body) = KafkaRequestFrame.ReadRequest(withoutPrefix);

        Assert.Equal((short)ApiKey.Produce, header.RequestApiKey);
        Assert.Equal(9, header.RequestApiVersion);
        Assert.Equal(77, header.CorrelationId);
        Assert.Equal("test-client", header.ClientId);
        var produce = Assert.IsType<ProduceRequestData>(body);
        var read = produce.TopicData[0].PartitionData[0].Records!.Value;
        Assert.Equal(records, read.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(read, out var segment));
        Assert.Same(frame, segment.Array);
    }

    [Fact]
    public void An_unknown_api_key_throws_with_the_correlation_and_client_id()
    {
        var frame = new byte[] { 0, 99, 0, 0, 0, 0, 0, 5, 0, 2, (byte)'c', (byte)'1' };
        var ex = Assert.Throws<UnsupportedRequestException>(() => KafkaRequestFrame.ReadRequest(frame));
        Assert.Equal(99, ex.ApiKey);
        Assert.Equal(5, ex.CorrelationId);
        Assert.Equal("c1", ex.ClientId);
        Assert.False(ex.IsKnownApi);
    }

    [Fact]
    public void An_unsupported_version_of_a_known_api_throws_with_the_correlation_and_client_id()
    {
        // ApiVersions v99: Kafka answers with an ApiVersionsResponse v0 carrying UNSUPPORTED_VERSION.
        var frame = new byte[] { 0, 18, 0, 99, 0, 0, 1, 0, 0xFF, 0xFF, 0 };
        var ex = Assert.Throws<UnsupportedRequestException>(() => KafkaRequestFrame.ReadRequest(frame));
        Assert.Equal(18, ex.ApiKey);
        Assert.Equal(99, ex.ApiVersion);
        Assert.Equal(256, ex.CorrelationId);
        Assert.Null(ex.ClientId);
        Assert.True(ex.IsKnownApi);
    }

    [Fact]
    public void A_truncated_request_throws_a_protocol_exception_naming_the_field()
    {
        var frame = RequestFrame(ApiKey.Metadata, 12, new MetadataRequestData { Topics = [new() { Name = "orders" }] });
        var truncated = frame.AsMemory(4, frame.Length - 4 - 5);
        var ex = Assert.Throws<KafkaProtocolException>(() => KafkaRequestFrame.ReadRequest(truncated));
        Assert.Equal("Name", ex.Field);
    }

    [Fact]
    public void A_response_round_trips_through_write_and_read()
    {
        var output = new ArrayBufferWriter<byte>();
        var response = new FindCoordinatorResponseData
        {
            Coordinators = [new() { Key = "group-1", NodeId = 3, Host = "127.0.0.1", Port = 9092 }],
        };
        KafkaRequestFrame.WriteResponse(output, ApiKey.FindCoordinator, 4, 12, response);
        var frame = output.WrittenSpan.ToArray();
        Assert.Equal(frame.Length - 4, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(frame));

        var (header, body) = KafkaRequestFrame.ReadResponse(frame.AsMemory(4), ApiKey.FindCoordinator, 4);
        Assert.Equal(12, header.CorrelationId);
        var coordinator = Assert.Single(Assert.IsType<FindCoordinatorResponseData>(body).Coordinators);
        Assert.Equal(("group-1", 3, "127.0.0.1", 9092), (coordinator.Key, coordinator.NodeId, coordinator.Host, coordinator.Port));
    }

    [Fact]
    public void Writing_a_body_of_the_wrong_class_or_version_is_refused_and_writes_nothing()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => KafkaRequestFrame.WriteResponse(output, ApiKey.Metadata, 12, 1, new FetchResponseData()));
        Assert.Throws<ArgumentException>(() => KafkaRequestFrame.WriteResponse(output, ApiKey.Metadata, 13, 1, new MetadataResponseData()));
        // Metadata v0 has no AllowAutoTopicCreation; false is not its default, so the write fails before any output.
        Assert.Throws<UnsupportedVersionException>(() =>
            KafkaRequestFrame.WriteRequest(output, ApiKey.Metadata, 0, 1, "c", new MetadataRequestData { AllowAutoTopicCreation = false }));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void The_api_table_agrees_with_the_generated_classes_and_kafkas_header_rules()
    {
        foreach (var api in ApiKeys.All)
        {
            var request = api.RequestType;
            var response = api.ResponseType;
            Assert.Equal((short)api.Key, (short)request.GetField("ApiKey")!.GetValue(null)!);
            Assert.Equal((short)api.Key, (short)response.GetField("ApiKey")!.GetValue(null)!);
            Assert.Equal(api.HighestVersion, (short)response.GetField("HighestSupportedVersion")!.GetValue(null)!);
            Assert.Equal(api.LowestVersion, (short)response.GetField("LowestSupportedVersion")!.GetValue(null)!);
            Assert.Equal(api.Key.ToString() + "RequestData", request.Name);
        }
        Assert.Equal(40, ApiKeys.All.Count);
        // KIP-455's APIs are flexible from their first version: request header v2, response header v1.
        Assert.Equal(2, ApiKeys.Get(ApiKey.AlterPartitionReassignments).RequestHeaderVersion(0));
        Assert.Equal(1, ApiKeys.Get(ApiKey.ListPartitionReassignments).ResponseHeaderVersion(0));
        Assert.Equal(-1, ApiKeys.Get(ApiKey.OffsetDelete).FirstFlexibleVersion);
        var apiVersions = ApiKeys.Get(ApiKey.ApiVersions);
        Assert.Equal(3, apiVersions.FirstFlexibleVersion);
        Assert.Equal(2, apiVersions.RequestHeaderVersion(3));
        Assert.Equal(0, apiVersions.ResponseHeaderVersion(3));
        var metadata = ApiKeys.Get(ApiKey.Metadata);
        Assert.Equal(1, metadata.RequestHeaderVersion(8));
        Assert.Equal(2, metadata.RequestHeaderVersion(9));
        Assert.Equal(0, metadata.ResponseHeaderVersion(8));
        Assert.Equal(1, metadata.ResponseHeaderVersion(9));
        Assert.Equal(-1, ApiKeys.Get(ApiKey.SaslHandshake).FirstFlexibleVersion);
    }
}
