namespace Bot.Core.Ports;

/// <summary>
/// Runs units of work on the store. <typeparamref name="TSession"/> is what a unit may do: each stage declares the
/// narrow session it needs (<c>IChatSession</c>, <c>IEscalationSession</c>...), and the store, whose session does all of
/// them, is one of each (the type parameter is covariant).
/// </summary>
public interface IUnitOfWork<out TSession>
    where TSession : ISession
{
    /// <summary>
    /// Runs <paramref name="work"/> in a unit of work and completes after it is committed. An exception thrown by the
    /// work undoes what it did and is rethrown; a store failure throws <see cref="StoreUnavailableException"/>. A unit may
    /// run more than once (a lost race between replicas), so it depends on nothing but its session.
    /// </summary>
    Task<T> WriteAsync<T>(Func<TSession, T> work, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="WriteAsync{T}(Func{TSession, T}, CancellationToken)"/>, for work on the rows of one group named by
    /// <paramref name="affinity"/>: a store with several writers may queue the work of one group on one writer and commit
    /// several together, instead of letting them wait on each other's row locks.
    /// </summary>
    Task<T> WriteAsync<T>(Func<TSession, T> work, Affinity affinity, CancellationToken cancellationToken = default) => WriteAsync(work, cancellationToken);

    /// <summary>
    /// As <see cref="WriteAsync{T}"/>, for a person waiting on the answer (a slash command): it goes ahead of queued
    /// bulk work such as an alert storm's webhooks.
    /// </summary>
    Task<T> WriteInteractiveAsync<T>(Func<TSession, T> work, CancellationToken cancellationToken = default);
}

/// <summary>
/// The rows a unit of work is about: an alert group (its key) and the alerts of it that the work looks up (their
/// fingerprints, none when unknown). A store that commits a group's queued work together may read the alerts of all of
/// it at once, instead of once a unit; a key left out is read when the work asks for it.
/// </summary>
public sealed record Affinity(string Group, IReadOnlyCollection<string> Alerts);

/// <summary>
/// A unit of work in progress. Everything done through one session commits together or not at all. Calls are
/// synchronous: a session lives on the store's writer and must not wait on I/O of its own.
/// </summary>
public interface ISession
{
    /// <summary>The unit of work's "now": one time for all it records.</summary>
    DateTimeOffset Now { get; }
}

public static class UnitOfWorkExtensions
{
    /// <summary>Runs <paramref name="work"/>, which answers nothing, in a unit of work (see <see cref="IUnitOfWork{TSession}.WriteAsync{T}"/>).</summary>
    public static Task WriteAsync<TSession>(this IUnitOfWork<TSession> store, Action<TSession> work, CancellationToken cancellationToken = default)
        where TSession : ISession =>
        store.WriteAsync(s =>
        {
            work(s);
            return true;
        }, cancellationToken);
}
