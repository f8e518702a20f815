namespace Bot.Core.Ports;

/// <summary>
/// Keys the host keeps in the store beside the incidents (ASP.NET Core's data-protection key ring, which signs the
/// console's sign-in cookies and form tokens), so that every replica and every restart uses the same ones. Each key is
/// an opaque document under a unique name; keys are added, never changed.
/// </summary>
public interface IHostKeySession : ISession
{
    /// <summary>Adds a key; a name already stored is left as it is.</summary>
    void AddHostKey(string name, string document);
}

/// <inheritdoc cref="IHostKeySession"/>
public interface IHostKeyReads
{
    Task<IReadOnlyList<string>> ListHostKeysAsync(CancellationToken cancellationToken = default);
}
