namespace AkkaBroker.Connect.Data;

/// <summary>A value does not fit its schema, or data cannot be converted (Kafka Connect's <c>DataException</c>).</summary>
public class DataException : ConnectException
{
    /// <summary>Creates the exception with a message that names the value, the field and what was expected.</summary>
    public DataException(string message, Exception? inner = null) : base(message, inner) { }
}
