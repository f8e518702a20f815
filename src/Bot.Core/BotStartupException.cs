namespace Bot.Core;

/// <summary>
/// The bot cannot start as configured: the message names the setting and says why (an adapter whose folder cannot be
/// created, a database that cannot be opened). The host prints it as one line and stops.
/// </summary>
public sealed class BotStartupException(string message, Exception? inner = null) : Exception(message, inner);
