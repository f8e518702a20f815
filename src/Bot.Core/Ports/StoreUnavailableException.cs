namespace Bot.Core.Ports;

/// <summary>The store could not be reached or could not commit; nothing of the failed work was kept.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
