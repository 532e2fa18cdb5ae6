namespace AkkaBroker.Protocol;

/// <summary>
/// How an AkkaBroker client's <c>client.id</c> shows on its connection: in the name of the client's ActorSystem,
/// <c>akkabroker-client-&lt;id&gt;</c>, where Akka allows only ASCII letters, digits and '-'; every other character
/// is written as '-'. The broker reads the client id back from there (for client-id quotas), so it sees this form.
/// </summary>
public static class ClientIds
{
    public const string SystemNamePrefix = "akkabroker-client-";

    /// <summary>The client id as the connection carries it: characters an ActorSystem name cannot hold as '-'; "client" for none.</summary>
    public static string Sanitize(string clientId)
    {
        var chars = clientId.Select(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' ? c : '-').ToArray();
        return chars.Length == 0 ? "client" : new string(chars);
    }

    /// <summary>The name of the ActorSystem of a client with <paramref name="clientId"/>.</summary>
    public static string SystemNameOf(string clientId) => SystemNamePrefix + Sanitize(clientId);

    /// <summary>The (sanitized) client id of a client whose ActorSystem is <paramref name="systemName"/>; the name itself for another system.</summary>
    public static string FromSystemName(string systemName) =>
        systemName.StartsWith(SystemNamePrefix, StringComparison.Ordinal) ? systemName[SystemNamePrefix.Length..] : systemName;
}
