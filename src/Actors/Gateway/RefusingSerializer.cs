using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Serialization;
using Akka.Serialization;

namespace AkkaBroker.Actors.Gateway;

/// <summary>
/// Takes the place of one of Akka's serializers on the client endpoint, so that what it reads can never arrive from a
/// client: Akka's JSON payloads name the type to create; system messages would suspend, stop or watch the gateway (Akka.NET's
/// untrusted mode lets them through); remote deployment and Protobuf payloads have no use there. Every client message has a
/// binding to the broker's own serializer, so only a hostile or foreign sender ever meets these.
/// </summary>
public abstract class RefusingSerializer(ExtendedActorSystem system, int identifier, string what) : Serializer(system)
{
    public override int Identifier { get; } = identifier;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType().FullName} has no binding to the broker's serializer, and {what} is off on the client endpoint");

    public override object FromBinary(byte[] bytes, Type type) =>
        throw new SerializationException($"{what} arrived on the client endpoint, which accepts only the client protocol: refused");
}

/// <summary>In place of Akka's JSON serializer (identifier 1).</summary>
public sealed class RefusingJsonSerializer : RefusingSerializer
{
    public const int Identifier1 = 1;

    public RefusingJsonSerializer(ExtendedActorSystem system) : base(system, Identifier1, "A message in Akka's JSON format")
    {
    }

    // Akka passes the serializer's settings section, when Akka's own serializer of that name has one.
    public RefusingJsonSerializer(ExtendedActorSystem system, Config settings) : base(system, Identifier1, "A message in Akka's JSON format")
    {
    }
}

/// <summary>In place of Akka.Remote's Protobuf serializer (identifier 2).</summary>
public sealed class RefusingProtobufSerializer : RefusingSerializer
{
    public RefusingProtobufSerializer(ExtendedActorSystem system) : base(system, 2, "A Protobuf message")
    {
    }

    // Akka passes the serializer's settings section, when Akka's own serializer of that name has one.
    public RefusingProtobufSerializer(ExtendedActorSystem system, Config settings) : base(system, 2, "A Protobuf message")
    {
    }
}

/// <summary>In place of Akka.Remote's remote-deployment serializer (identifier 3).</summary>
public sealed class RefusingDaemonSerializer : RefusingSerializer
{
    public RefusingDaemonSerializer(ExtendedActorSystem system) : base(system, 3, "A remote deployment")
    {
    }

    // Akka passes the serializer's settings section, when Akka's own serializer of that name has one.
    public RefusingDaemonSerializer(ExtendedActorSystem system, Config settings) : base(system, 3, "A remote deployment")
    {
    }
}

/// <summary>In place of Akka.Remote's system message serializer (identifier 22).</summary>
public sealed class RefusingSystemMessageSerializer : RefusingSerializer
{
    public RefusingSystemMessageSerializer(ExtendedActorSystem system) : base(system, 22, "A system message (watch, suspend, terminate, ...)")
    {
    }

    // Akka passes the serializer's settings section, when Akka's own serializer of that name has one.
    public RefusingSystemMessageSerializer(ExtendedActorSystem system, Config settings) : base(system, 22, "A system message (watch, suspend, terminate, ...)")
    {
    }
}

/// <summary>
/// Akka.Remote's serializer of its own small messages (identifier 16), reading only <see cref="Identify"/>: what clients
/// send to find the gateway. <see cref="Kill"/> in particular, which Akka.NET's untrusted mode does not drop, would stop it.
/// </summary>
public sealed class IdentifyOnlySerializer : SerializerWithStringManifest
{
    private readonly MiscMessageSerializer _inner;

    public IdentifyOnlySerializer(ExtendedActorSystem system) : base(system) => _inner = new MiscMessageSerializer(system);

    public IdentifyOnlySerializer(ExtendedActorSystem system, Config settings) : this(system)
    {
    }

    public override int Identifier => _inner.Identifier;

    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override string Manifest(object o) => _inner.Manifest(o);

    public override object FromBinary(byte[] bytes, string manifest) => _inner.FromBinary(bytes, manifest) switch
    {
        Identify identify => identify,
        var other => throw new SerializationException($"{other.GetType().Name} arrived on the client endpoint, which accepts only the client protocol and Identify: refused"),
    };
}
