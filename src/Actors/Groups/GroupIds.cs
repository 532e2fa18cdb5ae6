namespace AkkaBroker.Actors.Groups;

/// <summary>
/// What a consumer group's id may be. Kafka sets no length limit; here one is set so that an id cannot bloat the
/// records and keys of <c>__consumer_offsets</c> (every key carries it) or a broker's group directory: 255 characters,
/// more than any real id uses.
/// </summary>
public static class GroupIds
{
    public const int MaxLength = 255;

    /// <summary>Null when <paramref name="groupId"/> may name a group, else why not and what to do.</summary>
    public static string? Validate(string? groupId) =>
        string.IsNullOrWhiteSpace(groupId) ? "group.id is empty: give the consumer group a name."
        : groupId.Length > MaxLength ? $"group.id is {groupId.Length} characters long; the limit is {MaxLength}: give the group a shorter name."
        : null;
}
