namespace Bot.Core.Effects;

/// <summary>How the outbox runs jobs. Section <c>Outbox</c>; the ranges are checked by <see cref="OutboxOptionsValidator"/>.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Outbox";

    /// <summary>How often to look for due jobs when nothing signals new ones. Default 1 second.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Jobs claimed per pass. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Jobs run at once (each for a different incident) in the default lane, apart from the others'. Default 8.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>
    /// Jobs run at once in each of the lanes apart from the default one (<see cref="JobLane.Timers"/>: escalation steps,
    /// heartbeat checks; <see cref="JobLane.Phone"/>: SMS and calls; <see cref="JobLane.Email"/>: e-mails;
    /// <see cref="JobLane.Webhooks"/>: outgoing webhooks; <see cref="JobLane.ChatPaging"/>: the pages the chat service
    /// delivers), in slots of their own: a page never waits for a channel message's slot, an SMS for a direct message's,
    /// an e-mail for an SMS's, nor the next escalation step for a provider's. Default 8; a lane named in
    /// <see cref="LaneConcurrency"/> has its own.
    /// </summary>
    public int PagingConcurrency { get; set; } = 8;

    /// <summary>
    /// Slots for a lane named here, in place of <see cref="Concurrency"/> or <see cref="PagingConcurrency"/>: keyed by the
    /// lane's name as the metrics' <c>lane</c> label says it (<c>phone</c>, <c>email</c>, <c>webhooks</c>, <c>chat_paging</c>,
    /// <c>timers</c>, <c>default</c>, <c>summaries</c>; case ignored), e.g. <c>Outbox:LaneConcurrency:phone = 32</c> for an SMS provider that
    /// takes a second a message. A name that is no lane stops the start (<see cref="OutboxOptionsValidator"/>). Empty by default.
    /// </summary>
    public Dictionary<string, int> LaneConcurrency { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The summaries' refreshes run at once (<see cref="JobLane.Summaries"/>), unless <see cref="LaneConcurrency"/> names
    /// the lane: the chat's budget of updates (Slack: about 50 a minute) is far below what two slots send, so more would
    /// only wait in the chat client for the budget, each with the summary it read before waiting.
    /// </summary>
    public const int SummarySlots = 2;

    /// <summary>
    /// A lane's slots: its own in <see cref="LaneConcurrency"/>, else <see cref="Concurrency"/> for the default lane,
    /// <see cref="SummarySlots"/> for the summaries' and <see cref="PagingConcurrency"/> for each other.
    /// </summary>
    public int SlotsOf(JobLane lane)
    {
        foreach (var (name, slots) in LaneConcurrency) // case ignored however the settings' binder made the dictionary
        {
            if (JobLanes.Named(name) == lane)
            {
                return slots;
            }
        }

        return lane switch
        {
            JobLane.Default => Concurrency,
            JobLane.Summaries => SummarySlots,
            _ => PagingConcurrency,
        };
    }

    /// <summary>Time one try may take before it is abandoned and retried. Default 30 seconds.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First retry delay; doubles on each try. Default 2 seconds.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest delay between tries. Default 5 minutes.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A job still failing this long after it was enqueued is given up and reported. Default 24 hours.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a done job stays in the outbox before it is deleted (an alert storm leaves thousands). Failed jobs are
    /// kept. Default 7 days.
    /// </summary>
    public TimeSpan KeepDone { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The least <see cref="KeepDone"/>: a job done more recently is never deleted (see <see cref="IOutbox.DeleteDoneJobs"/>).</summary>
    public static readonly TimeSpan KeepDoneAtLeast = TimeSpan.FromHours(1);

    /// <summary>What a store deletes of done jobs asked to delete those done before <paramref name="before"/>, at <paramref name="now"/>: never one done in the last <see cref="KeepDoneAtLeast"/>.</summary>
    public static DateTimeOffset DeletableBefore(DateTimeOffset before, DateTimeOffset now) =>
        before < now - KeepDoneAtLeast ? before : now - KeepDoneAtLeast;
}
