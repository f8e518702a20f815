using Bot.Core.Effects;
using System.Data.Common;

namespace Bot.Storage.Sql;

/// <summary>
/// What differs between the SQL engines behind the one session and writer: how times are stored, how a claim locks,
/// and what an error means. Everything else is the same SQL.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>The parameter value for a time (never null).</summary>
    public abstract object Time(DateTimeOffset time);

    /// <summary>
    /// Whether the session sends the writes that answer nothing (alerts, timeline entries, jobs...) together, one round
    /// trip before its next read or at the unit's end, rather than one by one: worth it where each statement is a round
    /// trip to a server.
    /// </summary>
    public virtual bool BatchesWrites => false;

    /// <summary>
    /// Whether every change to the outbox's keys goes through this process's one writer (SQLite), so that the writer may
    /// remember every key it found in the outbox until it deletes done jobs. Where other writers and replicas write too,
    /// a writer remembers only the keys it inserted, for minutes (<see cref="OutboxKeys"/>).
    /// </summary>
    public bool KnowsItsOutbox => OnlyWriter;

    /// <summary>
    /// Whether the writer's transaction is the only one that may change the database until it ends (SQLite's one writer),
    /// so that what it read of rows only it writes (an incident's escalations) holds until it writes them. Where other
    /// writers and replicas write too, a transaction keeps only what it read under a lock (<see cref="GroupReadAhead"/>).
    /// </summary>
    public virtual bool OnlyWriter => false;

    /// <summary>
    /// Whether the provider takes numbered parameters (<c>$1</c>) faster than named ones: the session's statements are then
    /// rewritten once and bound by position (<see cref="SqlStatement"/>).
    /// </summary>
    public virtual bool NumbersParameters => false;

    /// <summary>The statement as this engine's provider takes it.</summary>
    public SqlStatement Statement(string sql) => NumbersParameters ? SqlStatement.Numbering(sql) : SqlStatement.Named(sql);

    /// <summary>The writer's way around the provider for its statements (<see cref="IDirectStatements"/>), or null: through the provider.</summary>
    public virtual IDirectStatements? DirectStatements(DbConnection connection) => null;

    /// <summary>A condition that <paramref name="column"/> is one of the texts in the parameter <paramref name="parameter"/>.</summary>
    public abstract string IsOneOf(string column, string parameter);

    /// <summary>
    /// Where the dialect batches writes (<see cref="BatchesWrites"/>), one statement for a webhook's alerts: those of the
    /// open incident of group <c>@g</c> whose fingerprints are in <c>@fps</c> (a <see cref="TextList"/> of distinct texts),
    /// columns <see cref="SqlRows.AlertColumns"/>, each found through the primary key.
    /// </summary>
    public virtual string OpenIncidentAlerts =>
        throw new NotSupportedException("A dialect that does not batch writes reads a webhook's alerts one by one.");

    /// <summary>
    /// Where the dialect batches writes, one statement for the alerts of several groups' open incidents: those whose
    /// fingerprints are paired with their groups in <c>@gs</c> and <c>@fps</c> (two <see cref="TextList"/>s of one
    /// length), columns <see cref="SqlRows.KnownAlertColumns"/> and then the group's key.
    /// </summary>
    public virtual string OpenIncidentsAlerts =>
        throw new NotSupportedException("A dialect that does not batch writes reads a webhook's alerts one by one.");

    /// <summary>
    /// Where the engine takes arrays, what a multi-row insert of alerts selects: one array parameter per column
    /// (<c>@n</c> a <c>long[]</c>, <c>@f @g @s @l @a @u</c> a <c>string[]</c> each, nulls in <c>@u</c>, <c>@b @e</c> a
    /// <see cref="TimeList"/> each) and <c>@now</c>. One text and ten parameters for any number of rows, where VALUES takes nine a row, each a
    /// parameter the provider makes and the server binds. Null: rows of VALUES.
    /// </summary>
    public virtual string? AlertArrays => null;

    /// <summary>
    /// Where the engine takes arrays, what a multi-row insert of timeline entries selects, in the arrays' order (the
    /// entries' ids keep it): <c>@n</c> a <c>long[]</c>, <c>@at</c> a <see cref="TimeList"/>, <c>@kind @aid @aname
    /// @text</c> a <c>string[]</c> each, and <c>@now</c>. Null: one entry a statement.
    /// </summary>
    public virtual string? TimelineArrays => null;

    /// <summary>
    /// Where the engine takes arrays, an update of incidents' tallies, an incident a row: <c>@n</c> a <c>long[]</c>,
    /// <c>@u @s</c> a <see cref="TimeList"/> each (updated_at, first_alert_at), <c>@a @f</c> an <c>int[]</c> each
    /// (alert_count, firing_count), <c>@b</c> a <c>string[]</c> (runbooks). Null: an update an incident.
    /// </summary>
    public virtual string? IncidentTallyArrays => null;

    /// <summary>
    /// A digest's excerpt of a stretch (<c>@n @from @to @limit</c>): the first entries written by a source that the bot
    /// recorded in [<c>@from</c>, <c>@to</c>), as recorded, columns <see cref="SqlRows.TimelineColumns"/>, read in the order
    /// of the timeline's index by record time: the stretch's first index entries, however long the timeline.
    /// </summary>
    public virtual string SourceActivity =>
        $"SELECT {SqlRows.TimelineColumns} FROM timeline WHERE {SourceActivityStretch} ORDER BY recorded_at LIMIT @limit";

    /// <summary>
    /// The outbox's claim of up to <c>@lane0</c> jobs of the default lane, <c>@lane1</c> of the phone's lane and so on
    /// (<see cref="WantedOf"/>, one for each <see cref="JobLane"/>), leased until <c>@lease</c> (columns
    /// <see cref="SqlRows.JobColumns"/>): in each lane the due jobs not waiting behind an earlier one of their ordering
    /// key, earliest due first (then in id order), with those whose claim's lease ended (their runner died) among them.
    /// Each lane's arm reads from the start of its range of <c>ix_outbox_waiting</c> (lane, due time, id) and stops once
    /// it has enough: the jobs waiting for a later time (escalation steps, reminders, hand-offs, retries) are never read,
    /// however many wait, nor another lane's backlog. Read in id order, a claim with fewer due jobs than it asked for read
    /// every job not done. Written from the lanes (<see cref="JobsWanted.Lanes"/>): a lane added is claimed here with no
    /// other change. PostgreSQL runs it in its schema function, its rows locked.
    /// </summary>
    public virtual string ClaimDueJobs => ClaimOfLanes;

    /// <summary>The parameter of a claim's count of a lane's jobs: <c>@lane</c> and the lane's number.</summary>
    public static string WantedOf(JobLane lane) => $"@lane{(int)lane}";

    /// <summary>The parameters of <see cref="ClaimDueJobs"/>'s counts: one for each lane (<see cref="WantedOf"/>).</summary>
    public virtual IEnumerable<(string Name, object Value)> ClaimCounts(JobsWanted wanted) =>
        LanesByNumber.Select(lane => (WantedOf(lane), (object)wanted.Of(lane)));

    /// <summary>The lanes by their number, as the claim's arms, PostgreSQL's function's arguments and the stats' probes take them.</summary>
    internal static readonly JobLane[] LanesByNumber = [.. JobsWanted.Lanes.OrderBy(lane => (int)lane)];

    private static readonly string ClaimOfLanes = $"""
        WITH expired AS (
            SELECT o.id, o.due_at, o.lane FROM outbox o
            WHERE o.state = 1 AND o.lease_until <= @now AND {SqlRows.NotBlocked}
            ORDER BY o.due_at, o.id LIMIT {string.Join(" + ", LanesByNumber.Select(WantedOf))}),
        {string.Join(",\n", LanesByNumber.Select(lane => $"""
        waiting{(int)lane} AS (
            SELECT o.id, o.due_at, o.lane FROM outbox o
            WHERE o.state = 0 AND o.lane = {(int)lane} AND o.due_at <= @now AND {SqlRows.NotBlocked}
            ORDER BY o.due_at, o.id LIMIT {WantedOf(lane)})
        """))},
        due AS (SELECT id, due_at, lane FROM expired{string.Concat(LanesByNumber.Select(lane => $" UNION ALL SELECT id, due_at, lane FROM waiting{(int)lane}"))})
        UPDATE outbox SET state = 1, lease_until = @lease, claims = claims + 1
        WHERE id IN (
            {string.Join("\n            UNION ALL ", LanesByNumber.Select(lane => $"SELECT id FROM (SELECT id FROM due WHERE lane = {(int)lane} ORDER BY due_at, id LIMIT {WantedOf(lane)})"))})
        RETURNING {SqlRows.JobColumns}
        """;

    /// <summary>The condition of a digest's stretch: the incident's entries written by a source, recorded in it.</summary>
    public const string SourceActivityStretch = "incident_number = @n AND recorded_at >= @from AND recorded_at < @to AND author_id LIKE 'source:%'";

    /// <summary>The parameter value for a list of times, nulls among them, as <see cref="AlertArrays"/> reads it.</summary>
    public virtual object TimeList(IReadOnlyList<DateTimeOffset?> times) =>
        throw new NotSupportedException("A dialect without arrays writes alerts as rows of VALUES.");

    /// <summary>The parameter value for a list of texts, as <see cref="IsOneOf"/> and <see cref="OpenIncidentAlerts"/> read it.</summary>
    public abstract object TextList(IReadOnlyCollection<string> texts);

    /// <summary>A condition that <paramref name="column"/> matches the pattern <paramref name="parameter"/> (<see cref="LikePattern"/>), ignoring case.</summary>
    public abstract string ContainsText(string column, string parameter);

    /// <summary>A LIKE pattern for "contains <paramref name="text"/>", its own <c>%</c>, <c>_</c> and <c>\</c> taken literally.</summary>
    public static string LikePattern(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>The parameter value for a time, or <see cref="DBNull"/>.</summary>
    public object Time(DateTimeOffset? time) => time is { } t ? Time(t) : DBNull.Value;

    /// <summary>
    /// Appended to the writer's reads of rows it may change (an incident, its escalations), so that another writer's
    /// change waits for this one's commit instead of being overwritten. Empty where there is one writer.
    /// </summary>
    public virtual string ForUpdate => "";

    /// <summary>
    /// The unit of work broke a rule of the data (a constraint, a bad value): it is undone and the caller gets the error;
    /// the rest of the batch goes on (<see cref="SqlIncidentStore"/>).
    /// </summary>
    public abstract bool IsUnitError(DbException e);

    /// <summary>
    /// The unit lost a race with another writer (the open incident it was about to create was created elsewhere): running
    /// it again, in a transaction of its own, sees the other writer's committed rows.
    /// </summary>
    public virtual bool IsUnitConflict(DbException e) => false;

    /// <summary>The whole transaction was chosen to give way (a deadlock): run the batch again from the start.</summary>
    public virtual bool IsBatchConflict(DbException e) => false;

    /// <summary>
    /// The database is there but cannot write: its disk is full, its file system read-only, it is a standby. Unlike a lost
    /// connection, the next commit is likely to fail too.
    /// </summary>
    public abstract bool CannotWrite(DbException e);
}
