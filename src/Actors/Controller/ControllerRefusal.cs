using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;

namespace AkkaBroker.Actors.Controller;

/// <summary>The answer to a decision the controller could not record, in the shape its requester waits for.</summary>
internal static class ControllerRefusal
{
    /// <summary>
    /// <paramref name="response"/> (what the requester would have got) turned into a refusal with <paramref name="code"/>
    /// and <paramref name="message"/>; null when nobody waits (a coordinator's report) or the shape has no error.
    /// </summary>
    public static object? Of(object? response, ErrorCode code, string message) => response switch
    {
        TopicOperationResponse r => r with { Error = code, ErrorMessage = message },
        AlterBrokerConfigsResponse r => r with { Error = code, ErrorMessage = message },
        CreateAclsResponse r => new CreateAclsResponse(code, message, r.Results.Select(_ => new AclOutcome(code, message)).ToArray()),
        DeleteAclsResponse r => new DeleteAclsResponse(code, message, r.Results.Select(_ => new DeleteAclsFilterResult(code, message, [])).ToArray()),
        AlterClientQuotasResponse r => new AlterClientQuotasResponse(code, message, r.Results.Select(q => q with { Error = code, ErrorMessage = message }).ToArray()),
        AlterUserScramCredentialsResponse r => new AlterUserScramCredentialsResponse(code, message, r.Results.Select(u => u with { Error = code, ErrorMessage = message }).ToArray()),
        ReassignPartitionsResponse r => new ReassignPartitionsResponse(code, message, r.Results.Select(p => p with { Error = code, ErrorMessage = message }).ToArray()),
        // Metadata that would have auto-created topics: they are reported as not existing.
        MetadataResponse r => r,
        // A group whose offsets topic cannot be created: consumers retry this error, and the message says why.
        FindCoordinatorResponse r => r with { Error = ErrorCode.CoordinatorNotAvailable, ErrorMessage = message },
        _ => null,
    };
}
