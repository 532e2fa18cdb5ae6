using System.Buffers;
using System.Text;
using AkkaBroker.KafkaProtocol;
using Xunit;

namespace AkkaBroker.Tests.KafkaProtocol;

/// <summary>Exact bytes, derived by hand from the Kafka protocol guide, for a few frames.</summary>
public class GoldenBytesTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Concat(params object[] parts) =>
        parts.SelectMany(p => p switch
        {
            byte[] b => b,
            int i => new[] { (byte)i },
            string s => Ascii(s),
            _ => throw new ArgumentException(p.GetType().Name),
        }).ToArray();

    [Fact]
    public void ApiVersions_request_v3_frame_has_header_v2_and_compact_software_name_and_version()
    {
        var output = new ArrayBufferWriter<byte>();
        KafkaRequestFrame.WriteRequest(output, ApiKey.ApiVersions, 3, correlationId: 1, clientId: "rdkafka",
            new ApiVersionsRequestData { ClientSoftwareName = "librdkafka", ClientSoftwareVersion = "2.16.0" });

        var expected = Concat(
            new byte[] { 0, 0, 0, 37 },            // frame size
            new byte[] { 0, 18, 0, 3 },            // api key 18, version 3
            new byte[] { 0, 0, 0, 1 },             // correlation id
            new byte[] { 0, 7 }, "rdkafka",        // client id: a non-compact string even in header v2
            0,                                     // header tagged fields: none
            11, "librdkafka",                      // compact string: length + 1
            7, "2.16.0",
            0);                                    // body tagged fields: none
        Assert.Equal(expected, output.WrittenSpan.ToArray());

        var (header, body) = KafkaRequestFrame.ReadRequest(expected.AsMemory(4));
        Assert.Equal(1, header.CorrelationId);
        Assert.Equal("rdkafka", header.ClientId);
        Assert.Equal("librdkafka", ((ApiVersionsRequestData)body).ClientSoftwareName);
    }

    [Fact]
    public void Metadata_request_v12_with_one_topic_has_the_expected_body()
    {
        var request = new MetadataRequestData
        {
            Topics = [new() { Name = "orders" }],
            AllowAutoTopicCreation = true,
            IncludeTopicAuthorizedOperations = false,
        };
        var expected = Concat(
            2,                                     // compact array of 1 topic
            new byte[16],                          // topic id: the zero uuid
            7, "orders",                           // compact nullable string
            0,                                     // topic's tagged fields
            1,                                     // allow auto topic creation
            0,                                     // include topic authorized operations (cluster's went after v10)
            0);                                    // tagged fields
        Assert.Equal(expected, MessageRoundTripTests.WriteToArray(request, 12));
    }

    [Fact]
    public void Metadata_request_v1_null_topics_is_an_int32_minus_one()
    {
        var request = new MetadataRequestData { Topics = null };
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, MessageRoundTripTests.WriteToArray(request, 1));
    }

    [Fact]
    public void Request_header_v2_reads_and_writes_a_tagged_field_section()
    {
        var bytes = Concat(
            new byte[] { 0, 3, 0, 12 },            // Metadata v12
            new byte[] { 0x12, 0x34, 0x56, 0x78 }, // correlation id
            new byte[] { 0xFF, 0xFF },             // null client id
            1,                                     // one tagged field
            5, 2, 0xCA, 0xFE);                     // tag 5, 2 bytes
        var header = new RequestHeaderData();
        var reader = new KafkaReader(bytes);
        header.Read(ref reader, 2);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(3, header.RequestApiKey);
        Assert.Equal(12, header.RequestApiVersion);
        Assert.Equal(0x12345678, header.CorrelationId);
        Assert.Null(header.ClientId);
        var (tag, data) = Assert.Single(header.UnknownTaggedFields);
        Assert.Equal(5, tag);
        Assert.Equal(new byte[] { 0xCA, 0xFE }, data);
        Assert.Equal(bytes, MessageRoundTripTests.WriteToArray(header, 2));
    }

    [Fact]
    public void ApiVersions_response_v3_has_response_header_v0_and_its_features_as_tagged_fields()
    {
        var output = new ArrayBufferWriter<byte>();
        var response = new ApiVersionsResponseData
        {
            ApiKeys = [new() { ApiKey = 18, MinVersion = 0, MaxVersion = 4 }],
            ThrottleTimeMs = 0,
            FinalizedFeaturesEpoch = 7,
        };
        KafkaRequestFrame.WriteResponse(output, ApiKey.ApiVersions, 3, correlationId: 9, response);
        var expected = Concat(
            new byte[] { 0, 0, 0, 29 },
            new byte[] { 0, 0, 0, 9 },             // header v0: correlation id and no tagged fields
            new byte[] { 0, 0 },                   // error code
            2, new byte[] { 0, 18, 0, 0, 0, 4 }, 0, // one api, its tagged fields
            new byte[] { 0, 0, 0, 0 },             // throttle time
            1, 1, 8, new byte[] { 0, 0, 0, 0, 0, 0, 0, 7 }); // tag 1: finalized features epoch, 8 bytes
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Metadata_response_v9_has_response_header_v1_with_tagged_fields()
    {
        var output = new ArrayBufferWriter<byte>();
        KafkaRequestFrame.WriteResponse(output, ApiKey.Metadata, 9, correlationId: 2, new MetadataResponseData { ClusterId = null, ControllerId = 1 });
        var expected = Concat(
            new byte[] { 0, 0, 0, 21 },
            new byte[] { 0, 0, 0, 2 }, 0,          // header v1: correlation id, tagged fields
            new byte[] { 0, 0, 0, 0 },             // throttle time
            1,                                     // no brokers
            0,                                     // null cluster id
            new byte[] { 0, 0, 0, 1 },             // controller id
            1,                                     // no topics
            new byte[] { 0x80, 0, 0, 0 },          // cluster authorized operations: int32 min (the default)
            0);
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }
}
