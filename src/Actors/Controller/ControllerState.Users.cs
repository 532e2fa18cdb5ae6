using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;

namespace AkkaBroker.Actors.Controller;

/// <summary>
/// The users' SASL/SCRAM credentials (Kafka's AlterUserScramCredentials and DescribeUserScramCredentials): kept in the
/// replicated state, so every broker checks logins against its own copy. Only keys derived from salted passwords are
/// kept; a password is never seen here.
/// </summary>
public sealed partial class ControllerState
{
    /// <summary>The most users the cluster keeps credentials for: each costs 150 bytes to 1 KiB of the replicated state (the frame limit is checked too).</summary>
    public const int MaxUsers = 10_000;

    /// <summary>The longest user name taken.</summary>
    public const int MaxUserNameLength = 256;

    private readonly Dictionary<string, IReadOnlyList<StoredScramCredential>> _scramCredentials = new(StringComparer.Ordinal);

    /// <summary>Each user's credentials, by mechanism number.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<StoredScramCredential>> ScramCredentials => _scramCredentials;

    public ControllerResult DecideAlterUserScramCredentials(AlterUserScramCredentialsRequest r)
    {
        var outcomes = new Dictionary<string, UserOutcome>(StringComparer.Ordinal);
        var changed = new Dictionary<string, List<StoredScramCredential>>(StringComparer.Ordinal);
        var named = r.Deletions.Select(d => d.User).Concat(r.Upsertions.Select(u => u.User)).ToList();
        // Kafka refuses a user named twice in one request (two changes of one mechanism, or a deletion and an upsertion of it).
        var twice = r.Deletions.Select(d => (d.User, d.Mechanism)).Concat(r.Upsertions.Select(u => (u.User, u.Mechanism)))
            .GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key.User).ToHashSet(StringComparer.Ordinal);
        foreach (var user in twice)
            outcomes[user] = new UserOutcome(user, ErrorCode.DuplicateResource, $"User '{user}' is named more than once for one mechanism in this request; send one change per user and mechanism.");
        List<StoredScramCredential> Working(string user) =>
            changed.TryGetValue(user, out var list) ? list : changed[user] = (_scramCredentials.GetValueOrDefault(user) ?? []).ToList();
        foreach (var d in r.Deletions.Where(d => !outcomes.ContainsKey(d.User)))
        {
            if (UserProblem(d.User, d.Mechanism) is { } problem) outcomes[d.User] = problem;
            else if (Working(d.User).RemoveAll(c => c.Mechanism == d.Mechanism) == 0)
                outcomes[d.User] = new UserOutcome(d.User, ErrorCode.ResourceNotFound,
                    $"User '{d.User}' has no {ScramMechanism.OfType(d.Mechanism)!.Name} credential to delete.");
        }
        foreach (var u in r.Upsertions.Where(u => !outcomes.ContainsKey(u.User)))
        {
            if ((UserProblem(u.User, u.Mechanism) ?? CredentialProblem(u)) is { } problem)
            {
                outcomes[u.User] = problem;
                continue;
            }
            var mechanism = ScramMechanism.OfType(u.Mechanism)!;
            var list = Working(u.User);
            list.RemoveAll(c => c.Mechanism == u.Mechanism);
            list.Add(new StoredScramCredential(u.Mechanism, ScramCredential.FromSaltedPassword(mechanism, u.SaltedPassword, u.Salt, u.Iterations)));
        }
        var newUsers = changed.Keys.Count(user => !outcomes.ContainsKey(user) && !_scramCredentials.ContainsKey(user) && changed[user].Count > 0);
        if (_scramCredentials.Count + newUsers > MaxUsers)
            foreach (var user in changed.Keys.Where(user => !outcomes.ContainsKey(user) && !_scramCredentials.ContainsKey(user)))
                outcomes[user] = new UserOutcome(user, ErrorCode.UnacceptableCredential,
                    $"The cluster keeps credentials for at most {MaxUsers} users and has {_scramCredentials.Count}; delete users that are no longer needed.");
        var events = changed.Where(kv => !outcomes.ContainsKey(kv.Key))
            .Select(kv => (object)new UserScramCredentialsChanged(kv.Key, kv.Value.OrderBy(c => c.Mechanism).ToArray())).ToArray();
        var response = new AlterUserScramCredentialsResponse(ErrorCode.None, null,
            named.Distinct(StringComparer.Ordinal).Select(user => outcomes.GetValueOrDefault(user) ?? new UserOutcome(user, ErrorCode.None, null)).ToArray());
        return new ControllerResult(events, response);
    }

    private static UserOutcome? UserProblem(string user, byte mechanism)
    {
        if (user.Length == 0) return new UserOutcome(user, ErrorCode.UnacceptableCredential, "A user name must not be empty.");
        if (user.Length > MaxUserNameLength)
            return new UserOutcome(user, ErrorCode.UnacceptableCredential, $"User name '{user[..32]}...' is {user.Length} characters long; at most {MaxUserNameLength} are taken.");
        if (user.Any(char.IsControl))
            return new UserOutcome(user, ErrorCode.UnacceptableCredential, "A user name must not contain control characters.");
        if (ScramMechanism.OfType(mechanism) == null)
            return new UserOutcome(user, ErrorCode.UnsupportedSaslMechanism,
                $"Mechanism {mechanism} is not a SCRAM mechanism: 1 is SCRAM-SHA-256 and 2 is SCRAM-SHA-512.");
        return null;
    }

    private static UserOutcome? CredentialProblem(ScramCredentialUpsertion u)
    {
        var mechanism = ScramMechanism.OfType(u.Mechanism)!;
        if (u.Iterations is < ScramMechanism.MinIterations or > ScramMechanism.MaxIterations)
            return new UserOutcome(u.User, ErrorCode.UnacceptableCredential,
                $"{u.Iterations} iterations of {mechanism.Name}: from {ScramMechanism.MinIterations} to {ScramMechanism.MaxIterations} are taken (Kafka's bounds).");
        if (u.Salt.Length is 0 or > 128)
            return new UserOutcome(u.User, ErrorCode.UnacceptableCredential, $"A salt of {u.Salt.Length} bytes: from 1 to 128 are taken.");
        if (u.SaltedPassword.Length != mechanism.HashSize)
            return new UserOutcome(u.User, ErrorCode.UnacceptableCredential,
                $"A salted {mechanism.Name} password is {mechanism.HashSize} bytes long, not {u.SaltedPassword.Length}.");
        return null;
    }

    /// <summary>Which mechanisms each user (or every user, when none is named) has credentials for; a user with none is RESOURCE_NOT_FOUND, as in Kafka.</summary>
    public DescribeUserScramCredentialsResponse DescribeUserScramCredentials(DescribeUserScramCredentialsRequest r)
    {
        var users = r.Users is { Count: > 0 } named ? named.Distinct(StringComparer.Ordinal) : _scramCredentials.Keys.Order(StringComparer.Ordinal);
        return new DescribeUserScramCredentialsResponse(ErrorCode.None, null, users.Select(user =>
            _scramCredentials.TryGetValue(user, out var credentials)
                ? new UserScramCredentialsDescription(user, ErrorCode.None, null, credentials.Select(c => new ScramCredentialInfo(c.Mechanism, c.Credential.Iterations)).ToArray())
                : new UserScramCredentialsDescription(user, ErrorCode.ResourceNotFound, $"User '{user}' has no SCRAM credentials.", [])).ToArray());
    }

    private readonly HashSet<string> _scramBootstrapped = new(StringComparer.Ordinal);

    /// <summary>
    /// The events that apply <paramref name="specs"/> (<c>sasl.add-scram</c>): each entry once in the cluster's life (as
    /// Kafka's <c>kafka-storage format --add-scram</c>), creating the credential when its user has none of that
    /// mechanism. A credential an operator changed or deleted since is never reset or brought back.
    /// </summary>
    public IReadOnlyList<object> MissingCredentials(IReadOnlyList<ScramCredentialSpec> specs)
    {
        var added = new Dictionary<string, List<StoredScramCredential>>(StringComparer.Ordinal);
        var applied = new List<string>();
        foreach (var spec in specs)
        {
            var entry = $"{spec.Mechanism.Name}:{spec.User}";
            if (_scramBootstrapped.Contains(entry) || applied.Contains(entry)) continue;
            applied.Add(entry);
            var current = added.TryGetValue(spec.User!, out var list) ? list : (_scramCredentials.GetValueOrDefault(spec.User!) ?? []).ToList();
            if (current.Any(c => c.Mechanism == spec.Mechanism.Type)) continue;
            current.Add(new StoredScramCredential(spec.Mechanism.Type, ScramCredential.FromPassword(spec.Mechanism, spec.Password, spec.Iterations)));
            added[spec.User!] = current;
        }
        if (applied.Count == 0) return [];
        return added.Select(kv => (object)new UserScramCredentialsChanged(kv.Key, kv.Value.OrderBy(c => c.Mechanism).ToArray()))
            .Append(new ScramBootstrapApplied(applied)).ToArray();
    }

    private void ApplyUserScramCredentials(UserScramCredentialsChanged e)
    {
        if (e.Credentials.Count == 0) _scramCredentials.Remove(e.User);
        else _scramCredentials[e.User] = e.Credentials;
    }

    /// <summary>A user's credential of <paramref name="mechanism"/> in a replicated snapshot, for the brokers' authenticators.</summary>
    public static ScramCredential? CredentialIn(ControllerSnapshot snapshot, string user, ScramMechanism mechanism) =>
        snapshot.ScramCredentials?.FirstOrDefault(u => u.User == user)?.Credentials.FirstOrDefault(c => c.Mechanism == mechanism.Type)?.Credential;
}
