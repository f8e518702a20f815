using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Bot.Api;
using Bot.Core.Chat;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.WebConsole;

/// <summary>
/// An incident page's live timeline: server-sent events (<c>entry</c> for a new timeline entry, <c>incident</c> when its
/// status, severity or lead changes), read from the store every <c>Console:LiveInterval</c>, so an entry written by any
/// replica reaches every open page. Each poll reads the newest entries through the timeline's index; the page's script
/// drops an entry it already shows (by id), so a reconnect loses and repeats nothing. At most <c>Console:LiveStreams</c>
/// pages are followed at once; past that, 503 and the page still works by reloading.
/// </summary>
internal static class LiveTimeline
{
    private const int Newest = 100;
    private static int _open;

    public static async Task<IResult> StreamAsync(
        string id, IIncidentReads store, IOptions<ConsoleOptions> options, IOptions<Core.Escalation.EscalationOptions> escalation, TimeProvider time, IHostApplicationLifetime lifetime,
        CancellationToken ct)
    {
        if (await ConsoleEndpoints.FindAsync(id, store, ct) is not { Number: var number })
        {
            return ConsoleEndpoints.NoSuchIncident(id);
        }

        if (Interlocked.Increment(ref _open) > options.Value.LiveStreams)
        {
            Interlocked.Decrement(ref _open);
            return Results.Problem(statusCode: 503, title: "Too many live pages", detail: $"{options.Value.LiveStreams} pages are followed live already (Console:LiveStreams); reload the page to see new entries.");
        }

        return TypedResults.ServerSentEvents(Events(number, store, escalation.Value.NameOf, options.Value.LiveInterval, time, lifetime.ApplicationStopping, ct));
    }

    private static async IAsyncEnumerable<SseItem<string>> Events(
        long number, IIncidentReads store, Func<string, string> nameOf, TimeSpan interval, TimeProvider time, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping, ct);
        var token = both.Token;
        var seen = new HashSet<long>();
        string? state = null;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var items = new List<SseItem<string>>();
                try
                {
                    if (await store.GetIncidentAsync(number, token) is { } incident)
                    {
                        var json = JsonSerializer.Serialize(LiveIncident.Of(incident), BotJsonContext.Default.LiveIncident);
                        if (json != state)
                        {
                            state = json;
                            items.Add(new SseItem<string>(json, "incident"));
                        }
                    }

                    var newest = await store.ListTimelineAsync(number, new TimelineQuery(Newest, NewestFirst: true), token);
                    foreach (var e in newest.Reverse().Where(e => seen.Add(e.Id)))
                    {
                        var entry = new LiveEntry(e.Id, e.At.ToUniversalTime().ToString("O"), e.At.UtcDateTime.ToString("HH:mm"), e.Author.Name, ChatMarkup.Plain(e.Text, nameOf));
                        items.Add(new SseItem<string>(JsonSerializer.Serialize(entry, BotJsonContext.Default.LiveEntry), "entry") { EventId = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                    }

                    if (seen.Count > 10 * Newest)
                    {
                        seen = [.. newest.Select(e => e.Id)]; // the newest page is all a later poll can find again
                    }
                }
                catch (Exception) when (!token.IsCancellationRequested)
                {
                    // The store is down for a moment: the page keeps what it shows, and the next poll tries again.
                }

                foreach (var item in items)
                {
                    yield return item;
                }

                try
                {
                    await Task.Delay(interval, time, token);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }
}

/// <summary>A live <c>incident</c> event: what the page's summary shows, as it shows it (the page renders this too).</summary>
public sealed record LiveIncident(string Status, string Severity, string Lead, string Progress, string Alerts)
{
    public static LiveIncident Of(Incident incident) => new(
        incident.Status.Name(), incident.Severity.Display(), incident.Lead?.Name ?? "none", incident.Progress ?? "not said", $"{incident.FiringCount} firing of {incident.AlertCount}");
}

/// <summary>A live <c>entry</c> event: one timeline entry, its text plain (the page sets it as text, never as markup).</summary>
public sealed record LiveEntry(long Id, string At, string Time, string Author, string Text);
