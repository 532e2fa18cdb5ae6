using AkkaBroker.Protocol;
using Xunit;

namespace AkkaBroker.Tests.Serialization;

/// <summary>
/// Error codes travel to Kafka clients as numbers: each must be the number Kafka gives its name (Errors.java), or a
/// client reads another error (UNKNOWN_LEADER_EPOCH sent as 76 reads as UNSUPPORTED_COMPRESSION_TYPE, which is fatal
/// instead of retriable).
/// </summary>
public class ErrorCodeNumberTests
{
    private static readonly Dictionary<string, int> Kafka = new()
    {
        ["UNKNOWN_SERVER_ERROR"] = -1, ["NONE"] = 0, ["OFFSET_OUT_OF_RANGE"] = 1, ["CORRUPT_MESSAGE"] = 2, ["UNKNOWN_TOPIC_OR_PARTITION"] = 3,
        ["INVALID_FETCH_SIZE"] = 4, ["LEADER_NOT_AVAILABLE"] = 5, ["NOT_LEADER_OR_FOLLOWER"] = 6, ["REQUEST_TIMED_OUT"] = 7,
        ["MESSAGE_TOO_LARGE"] = 10, ["OFFSET_METADATA_TOO_LARGE"] = 12, ["NETWORK_EXCEPTION"] = 13, ["COORDINATOR_LOAD_IN_PROGRESS"] = 14,
        ["COORDINATOR_NOT_AVAILABLE"] = 15, ["NOT_COORDINATOR"] = 16, ["INVALID_TOPIC_EXCEPTION"] = 17, ["RECORD_LIST_TOO_LARGE"] = 18,
        ["NOT_ENOUGH_REPLICAS"] = 19, ["NOT_ENOUGH_REPLICAS_AFTER_APPEND"] = 20, ["INVALID_REQUIRED_ACKS"] = 21, ["ILLEGAL_GENERATION"] = 22,
        ["INCONSISTENT_GROUP_PROTOCOL"] = 23, ["INVALID_GROUP_ID"] = 24, ["UNKNOWN_MEMBER_ID"] = 25, ["INVALID_SESSION_TIMEOUT"] = 26,
        ["REBALANCE_IN_PROGRESS"] = 27, ["INVALID_TIMESTAMP"] = 32, ["UNSUPPORTED_VERSION"] = 35, ["TOPIC_ALREADY_EXISTS"] = 36,
        ["INVALID_PARTITIONS"] = 37, ["INVALID_REPLICATION_FACTOR"] = 38, ["INVALID_REPLICA_ASSIGNMENT"] = 39, ["INVALID_CONFIG"] = 40, ["INVALID_REQUEST"] = 42,
        ["UNSUPPORTED_FOR_MESSAGE_FORMAT"] = 43, ["POLICY_VIOLATION"] = 44, ["OUT_OF_ORDER_SEQUENCE_NUMBER"] = 45, ["DUPLICATE_SEQUENCE_NUMBER"] = 46,
        ["INVALID_PRODUCER_EPOCH"] = 47, ["KAFKA_STORAGE_ERROR"] = 56, ["UNKNOWN_PRODUCER_ID"] = 59, ["REASSIGNMENT_IN_PROGRESS"] = 60, ["NON_EMPTY_GROUP"] = 68,
        ["GROUP_ID_NOT_FOUND"] = 69, ["FENCED_LEADER_EPOCH"] = 74, ["UNKNOWN_LEADER_EPOCH"] = 75, ["OFFSET_NOT_AVAILABLE"] = 78,
        ["MEMBER_ID_REQUIRED"] = 79, ["PREFERRED_LEADER_NOT_AVAILABLE"] = 80, ["FENCED_INSTANCE_ID"] = 82, ["ELIGIBLE_LEADERS_NOT_AVAILABLE"] = 83, ["ELECTION_NOT_NEEDED"] = 84, ["NO_REASSIGNMENT_IN_PROGRESS"] = 85, ["GROUP_SUBSCRIBED_TO_TOPIC"] = 86, ["INVALID_RECORD"] = 87, ["INVALID_UPDATE_VERSION"] = 95,
        ["TOPIC_AUTHORIZATION_FAILED"] = 29, ["GROUP_AUTHORIZATION_FAILED"] = 30, ["CLUSTER_AUTHORIZATION_FAILED"] = 31,
        ["UNSUPPORTED_SASL_MECHANISM"] = 33, ["ILLEGAL_SASL_STATE"] = 34, ["SASL_AUTHENTICATION_FAILED"] = 58, ["SECURITY_DISABLED"] = 54, ["RESOURCE_NOT_FOUND"] = 91,
        ["DUPLICATE_RESOURCE"] = 92, ["UNACCEPTABLE_CREDENTIAL"] = 93,
        ["UNKNOWN_TOPIC_ID"] = 100, ["BROKER_ID_NOT_REGISTERED"] = 102, ["MISMATCHED_ENDPOINT_TYPE"] = 114, ["UNSUPPORTED_ENDPOINT_TYPE"] = 115,
    };

    public static IEnumerable<object[]> BrokerCodes() =>
        Enum.GetValues<ErrorCode>().Where(c => (int)c >= -1).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(BrokerCodes))]
    public void Each_broker_error_code_has_the_number_Kafka_gives_its_name(ErrorCode code)
    {
        Assert.True(Kafka.TryGetValue(code.KafkaName(), out var number), $"{code.KafkaName()} is not in Kafka's table of this test: add it from Kafka's Errors.java");
        Assert.Equal(number, (int)code);
    }
}
