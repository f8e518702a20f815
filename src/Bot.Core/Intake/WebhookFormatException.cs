namespace Bot.Core.Intake;

/// <summary>
/// The webhook body cannot be read as its format: the message says what is wrong and where, for the sender.
/// </summary>
public sealed class WebhookFormatException(string message) : Exception(message);
