namespace AkkaBroker.Connect.Data;

/// <summary>A field of a struct schema: its name, its position in the struct and its schema.</summary>
public sealed record Field(string Name, int Index, Schema Schema);
