using AkkaBroker.Actors.Controller;
using AkkaBroker.Protocol;
using AkkaBroker.Protocol.Messages;
using AkkaBroker.Protocol.Security;
using Xunit;

namespace AkkaBroker.Tests.Security;

public class UserCredentialsStateTests
{
    private static ScramCredentialUpsertion Upsert(string user, ScramMechanism mechanism, int iterations = 4096, string password = "pw")
    {
        var salt = new byte[] { 1, 2, 3, 4 };
        return new ScramCredentialUpsertion(user, mechanism.Type, iterations, salt, mechanism.SaltedPassword(password, salt, iterations));
    }

    private static ControllerState Applied(ControllerState state, ControllerResult result)
    {
        foreach (var e in result.Events) state.Apply(e);
        return state;
    }

    [Fact]
    public void Upserted_credentials_are_kept_as_derived_keys_that_check_the_password()
    {
        var state = new ControllerState();
        var result = state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([], [Upsert("alice", ScramMechanism.Sha256, password: "secret")]));
        Assert.Equal(ErrorCode.None, Assert.Single(((AlterUserScramCredentialsResponse)result.Response!).Results).Error);
        Applied(state, result);
        var stored = Assert.Single(state.ScramCredentials["alice"]);
        Assert.True(stored.Credential.Matches(ScramMechanism.Sha256, "secret"));
        Assert.False(stored.Credential.Matches(ScramMechanism.Sha256, "Secret"));
        Assert.Equal(stored.Credential, ControllerState.CredentialIn(state.ToSnapshot(), "alice", ScramMechanism.Sha256));
        Assert.Null(ControllerState.CredentialIn(state.ToSnapshot(), "alice", ScramMechanism.Sha512));
    }

    [Fact]
    public void Each_user_is_answered_apart_and_only_the_acceptable_changes_are_recorded()
    {
        var state = new ControllerState();
        var result = state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest(
            [new ScramCredentialDeletion("ghost", ScramMechanism.Sha256.Type), new ScramCredentialDeletion("twice", ScramMechanism.Sha256.Type)],
            [
                Upsert("ok", ScramMechanism.Sha512), Upsert("few", ScramMechanism.Sha256, iterations: 1000), Upsert("twice", ScramMechanism.Sha256),
                Upsert("", ScramMechanism.Sha256), new ScramCredentialUpsertion("short", ScramMechanism.Sha256.Type, 4096, [1], [1, 2]),
                new ScramCredentialUpsertion("sha1", 3, 4096, [1], new byte[32]),
            ]));
        var outcomes = ((AlterUserScramCredentialsResponse)result.Response!).Results.ToDictionary(r => r.User, r => r.Error);
        Assert.Equal(ErrorCode.None, outcomes["ok"]);
        Assert.Equal(ErrorCode.ResourceNotFound, outcomes["ghost"]);
        Assert.Equal(ErrorCode.DuplicateResource, outcomes["twice"]);
        Assert.Equal(ErrorCode.UnacceptableCredential, outcomes["few"]);
        Assert.Equal(ErrorCode.UnacceptableCredential, outcomes[""]);
        Assert.Equal(ErrorCode.UnacceptableCredential, outcomes["short"]);
        Assert.Equal(ErrorCode.UnsupportedSaslMechanism, outcomes["sha1"]);
        Assert.Equal("ok", Assert.Single(result.Events.Cast<UserScramCredentialsChanged>()).User);
    }

    [Fact]
    public void Deleting_a_users_last_credential_removes_the_user()
    {
        var state = new ControllerState();
        Applied(state, state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([], [Upsert("bob", ScramMechanism.Sha256), Upsert("bob", ScramMechanism.Sha512)])));
        Assert.Equal(2, state.ScramCredentials["bob"].Count);
        Applied(state, state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([new ScramCredentialDeletion("bob", ScramMechanism.Sha256.Type)], [])));
        Assert.Equal(ScramMechanism.Sha512.Type, Assert.Single(state.ScramCredentials["bob"]).Mechanism);
        Applied(state, state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([new ScramCredentialDeletion("bob", ScramMechanism.Sha512.Type)], [])));
        Assert.False(state.ScramCredentials.ContainsKey("bob"));
        Assert.Equal(ErrorCode.ResourceNotFound, Assert.Single(state.DescribeUserScramCredentials(new DescribeUserScramCredentialsRequest(["bob"])).Results).Error);
    }

    [Fact]
    public void Bootstrap_credentials_are_applied_once_so_a_changed_or_deleted_one_stays_so()
    {
        var state = new ControllerState();
        var specs = new[] { ScramCredentialSpec.Parse("SCRAM-SHA-256=[name=admin,password=first]") };
        foreach (var e in state.MissingCredentials(specs)) state.Apply(e);
        Assert.True(state.ScramCredentials["admin"][0].Credential.Matches(ScramMechanism.Sha256, "first"));
        Applied(state, state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([], [Upsert("admin", ScramMechanism.Sha256, password: "changed")])));
        Assert.Empty(state.MissingCredentials(specs));
        Assert.True(state.ScramCredentials["admin"][0].Credential.Matches(ScramMechanism.Sha256, "changed"));

        // A deleted bootstrap credential is not brought back by the next controller, which reads the state from a snapshot.
        Applied(state, state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([new ScramCredentialDeletion("admin", ScramMechanism.Sha256.Type)], [])));
        var next = new ControllerState();
        next.Restore(state.ToSnapshot());
        Assert.Empty(next.MissingCredentials(specs));
        // An entry added to the configuration later is applied, once.
        var more = specs.Append(ScramCredentialSpec.Parse("SCRAM-SHA-512=[name=ops,password=p]")).ToArray();
        foreach (var e in next.MissingCredentials(more)) next.Apply(e);
        Assert.True(next.ScramCredentials.ContainsKey("ops"));
        Assert.False(next.ScramCredentials.ContainsKey("admin"));
        Assert.Empty(next.MissingCredentials(more));
    }

    [Fact]
    public void Credentials_survive_the_snapshot_the_brokers_replicate()
    {
        var state = new ControllerState();
        Applied(state, state.DecideAlterUserScramCredentials(new AlterUserScramCredentialsRequest([], [Upsert("carol", ScramMechanism.Sha512)])));
        var written = state.ToSnapshot();
        var bytes = AkkaBroker.Protocol.Serialization.BrokerSerializer.Encode(written);
        var snapshot = (ControllerSnapshot)AkkaBroker.Protocol.Serialization.BrokerSerializer.Decode(bytes, AkkaBroker.Protocol.Serialization.BrokerSerializer.ManifestOf(written));
        var copy = new ControllerState();
        copy.Restore(snapshot);
        Assert.Equal(state.ScramCredentials["carol"][0].Credential, copy.ScramCredentials["carol"][0].Credential);
    }

    [Theory]
    [InlineData("SCRAM-SHA-256=[name=alice,password=a,b=c]", "alice", "a,b=c", 4096)]
    [InlineData("scram-sha-512=[iterations=8192,password=pw]", null, "pw", 8192)]
    public void Credential_specs_are_read_in_kafkas_form(string text, string? user, string password, int iterations)
    {
        var spec = ScramCredentialSpec.Parse(text);
        Assert.Equal((user, password, iterations), (spec.User, spec.Password, spec.Iterations));
        Assert.DoesNotContain(password, spec.ToString());
    }

    [Fact]
    public void Several_credentials_in_one_value_are_read_as_kafka_configs_writes_them()
    {
        var specs = ScramCredentialSpec.ParseAll("SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=\"a],b\"]");
        Assert.Equal(2, specs.Count);
        Assert.Equal((ScramMechanism.Sha256, "alice-secret", 8192), (specs[0].Mechanism, specs[0].Password, specs[0].Iterations));
        Assert.Equal((ScramMechanism.Sha512, "a],b"), (specs[1].Mechanism, specs[1].Password));
        Assert.Throws<FormatException>(() => ScramCredentialSpec.Parse("SCRAM-SHA-256=[password=a],SCRAM-SHA-512=[password=b]"));
    }

    [Theory]
    [InlineData("SCRAM-SHA-256=[pw=secret]", "'pw'")]
    [InlineData("SCRAM-SHA-256=[saltedpassword=def,salt=abc]", "salts and hashes")]
    public void A_refusal_never_shows_a_password(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ScramCredentialSpec.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("=secret", e.Message);
        Assert.DoesNotContain("=def", e.Message);
    }

    [Theory]
    [InlineData("SCRAM-SHA-1=[password=pw]", "not a SCRAM mechanism")]
    [InlineData("SCRAM-SHA-256=[name=a]", "no password")]
    [InlineData("SCRAM-SHA-256=[password=pw,iterations=10]", "out of bounds")]
    [InlineData("SCRAM-SHA-256:password", "is not a SCRAM credential")]
    public void Malformed_credential_specs_are_refused_saying_why(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ScramCredentialSpec.Parse(text));
        Assert.Contains(expected, e.Message);
    }
}
