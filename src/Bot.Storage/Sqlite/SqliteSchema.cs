using Microsoft.Data.Sqlite;

namespace Bot.Storage.Sqlite;

/// <summary>
/// Versioned migrations, applied in order at start-up inside one transaction each. Times are Unix milliseconds
/// (UTC). Never edit a shipped migration: add the next one.
/// </summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        // 1: incidents, alerts, timeline, outbox
        """
        CREATE TABLE incidents (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            severity INTEGER NOT NULL,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            group_key TEXT NOT NULL,
            open_group_key TEXT UNIQUE,          -- group_key while open, NULL once resolved: one open incident per group
            created_at INTEGER NOT NULL,
            acknowledged_at INTEGER,
            mitigated_at INTEGER,
            resolved_at INTEGER,
            updated_at INTEGER NOT NULL,
            channel_id TEXT,
            channel_name TEXT
        );
        CREATE INDEX ix_incidents_status ON incidents (status, number);

        CREATE TABLE alerts (
            incident_number INTEGER NOT NULL REFERENCES incidents (number),
            fingerprint TEXT NOT NULL,
            group_key TEXT NOT NULL,
            status TEXT NOT NULL,
            labels TEXT NOT NULL,
            annotations TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            source_url TEXT,
            first_seen_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (incident_number, fingerprint)
        ) WITHOUT ROWID;
        CREATE INDEX ix_alerts_group ON alerts (group_key, fingerprint, incident_number);

        CREATE TABLE timeline (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            incident_number INTEGER NOT NULL REFERENCES incidents (number),
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            author_id TEXT NOT NULL,
            author_name TEXT NOT NULL,
            text TEXT NOT NULL,
            recorded_at INTEGER NOT NULL
        );
        CREATE INDEX ix_timeline_incident ON timeline (incident_number, recorded_at);

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            ordering_key TEXT NOT NULL,
            payload TEXT NOT NULL,
            state INTEGER NOT NULL,              -- 0 pending, 1 in flight, 2 done, 3 failed
            attempts INTEGER NOT NULL DEFAULT 0,
            due_at INTEGER NOT NULL,
            lease_until INTEGER,
            created_at INTEGER NOT NULL,
            completed_at INTEGER,
            last_error TEXT
        );
        CREATE INDEX ix_outbox_due ON outbox (state, due_at);
        CREATE INDEX ix_outbox_order ON outbox (ordering_key, id) WHERE state IN (0, 1);
        """,

        // 2: the response: lead, roles, progress, postmortem fields, last status update
        """
        ALTER TABLE incidents ADD COLUMN lead_id TEXT;
        ALTER TABLE incidents ADD COLUMN lead_name TEXT;
        ALTER TABLE incidents ADD COLUMN roles TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE incidents ADD COLUMN progress TEXT;
        ALTER TABLE incidents ADD COLUMN impact TEXT;
        ALTER TABLE incidents ADD COLUMN cause TEXT;
        ALTER TABLE incidents ADD COLUMN resolution TEXT;
        ALTER TABLE incidents ADD COLUMN last_update_at INTEGER;
        """,

        // 3: find an incident by its chat channel (slash commands, reactions)
        """
        CREATE INDEX ix_incidents_channel ON incidents (channel_id);
        """,

        // 4: the pinned summary's message id, to update it in place
        """
        ALTER TABLE incidents ADD COLUMN summary_message_id TEXT;
        """,

        // 5: corrective and preventive tasks, filed as issues
        """
        CREATE TABLE tasks (
            incident_number INTEGER NOT NULL REFERENCES incidents (number),
            number INTEGER NOT NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            assignee TEXT,
            url TEXT,
            state TEXT,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (incident_number, number)
        ) WITHOUT ROWID;
        """,

        // 6: escalations, one row per (incident, policy); their timers are outbox jobs
        """
        CREATE TABLE escalations (
            incident_number INTEGER NOT NULL REFERENCES incidents (number),
            policy TEXT NOT NULL,
            run INTEGER NOT NULL,
            status TEXT NOT NULL,
            cycle INTEGER NOT NULL,
            step INTEGER NOT NULL,
            paged TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (incident_number, policy)
        ) WITHOUT ROWID;
        """,

        // 7: how often each outbox job was claimed: a job claimed again may have done its side effect before
        """
        ALTER TABLE outbox ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
        """,

        // 8: each incident's alert tally and runbooks, kept as alerts change (a storm's summary no longer reads every
        // alert), counted once here from the alerts already stored; its first alerts read through an index
        """
        ALTER TABLE incidents ADD COLUMN alert_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN firing_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN runbooks TEXT NOT NULL DEFAULT '[]';
        UPDATE incidents SET
            alert_count = (SELECT COUNT(*) FROM alerts a WHERE a.incident_number = incidents.number),
            firing_count = (SELECT COUNT(*) FROM alerts a WHERE a.incident_number = incidents.number AND a.status = 'firing'),
            runbooks = COALESCE((
                SELECT json_group_array(r) FROM (
                    SELECT COALESCE(json_extract(a.annotations, '$.runbook_url'), json_extract(a.annotations, '$.runbook')) AS r,
                        MIN(a.first_seen_at) AS seen
                    FROM alerts a WHERE a.incident_number = incidents.number
                    GROUP BY 1 HAVING r IS NOT NULL ORDER BY seen LIMIT 3)), '[]');
        CREATE INDEX ix_alerts_seen ON alerts (incident_number, first_seen_at, starts_at, fingerprint);
        """,

        // 9: no index of alerts by group and fingerprint (fingerprints are random, so it cost every alert a write at a
        // random place); a late resolution finds its alert through the group's incidents instead
        """
        DROP INDEX ix_alerts_group;
        CREATE INDEX ix_incidents_group ON incidents (group_key, number);
        """,

        // 10: a storm's incident read in pages: its timeline in time order and by kind through indexes (the postmortem
        // and /incident timeline read people's entries without the alerts' one per webhook), and when its first alert
        // started kept with the tally (the postmortem no longer reads every alert)
        """
        ALTER TABLE incidents ADD COLUMN first_alert_at INTEGER;
        UPDATE incidents SET first_alert_at = (SELECT MIN(a.starts_at) FROM alerts a WHERE a.incident_number = incidents.number);
        CREATE INDEX ix_timeline_at ON timeline (incident_number, at, id);
        CREATE INDEX ix_timeline_kind ON timeline (incident_number, kind, at, id);
        """,

        // 11: readiness writes: /readyz commits a row here through the writer (with 64 KiB, the room a batch of webhooks
        // needs), so a store that can read but not write (a full disk, a read-only file system, a failed-over database)
        // is not ready
        """
        CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, room BLOB NOT NULL);
        """,

        // 12: heartbeats (dead man's switches): when each last beat, whether it is missed, and its check's outbox job
        """
        CREATE TABLE heartbeats (name TEXT PRIMARY KEY, last_beat_at INTEGER NOT NULL, missed INTEGER NOT NULL, check_key TEXT);
        """,

        // 13: the trace a job was enqueued in (W3C traceparent): its run, minutes later, continues that trace
        """
        ALTER TABLE outbox ADD COLUMN trace_parent TEXT;
        """,

        // 14: e-mailed acknowledge links that were used (their hashes): a link works once
        """
        CREATE TABLE ack_links_used (link_hash TEXT PRIMARY KEY, used_at INTEGER NOT NULL);
        """,

        // 15: each person's own notification rules (/incident notify), as JSON lists; NULL where the settings' apply
        """
        CREATE TABLE notification_rules (user_id TEXT PRIMARY KEY, notify TEXT, important TEXT);
        """,

        // 16: turns taken (a round-robin team's next member): a counter per key
        """
        CREATE TABLE turns (key TEXT PRIMARY KEY, taken BIGINT NOT NULL);
        """,

        // 17: on-call overrides taken from chat (/incident oncall override), beside the settings' own
        """
        CREATE TABLE oncall_overrides (id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL, user_id TEXT NOT NULL, from_at INTEGER NOT NULL, to_at INTEGER NOT NULL);
        CREATE INDEX ix_oncall_overrides ON oncall_overrides (team, to_at);
        """,

        // 18: who was paged when, one row per step and person (the reports count pages per person, and out of hours)
        """
        CREATE TABLE pages (step_key TEXT NOT NULL, user_id TEXT NOT NULL, incident_number INTEGER NOT NULL, policy TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (step_key, user_id)) WITHOUT ROWID;
        CREATE INDEX ix_pages_at ON pages (at);
        CREATE INDEX ix_incidents_created ON incidents (created_at);
        """,

        // 19: the host's keys (ASP.NET Core's data-protection key ring), shared by every replica and kept across restarts
        """
        CREATE TABLE host_keys (name TEXT PRIMARY KEY, document TEXT NOT NULL);
        """,

        // 20: PostgreSQL's index of the jobs not done, for its claim. SQLite's claim already reads only those (through
        // ix_outbox_due, an index per arm of its OR), so nothing changes here: the number keeps both schemas in step.
        """
        SELECT 1;
        """,

        // 21: PostgreSQL's function for a webhook's alert read, planned once per connection. SQLite looks its alerts up by
        // primary key one by one, in the process; nothing changes here.
        """
        SELECT 1;
        """,

        // 22: PostgreSQL's alerts lose their foreign key, checked by the statement that writes them instead. SQLite's
        // key costs a lookup in the process: kept.
        """
        SELECT 1;
        """,

        // 23: PostgreSQL's alert read for a batch's groups in one call. SQLite reads alerts one by one: nothing changes.
        """
        SELECT 1;
        """,

        // 24: PostgreSQL's key columns compared byte by byte (collation "C"), whatever the database's collation. SQLite's
        // columns already are (its BINARY collation): nothing changes.
        """
        SELECT 1;
        """,

        // 25: the timeline's index by kind leaves the alerts' entries out. A webhook writes one (a storm, one a webhook),
        // and they are read by time (ix_timeline_at), never through this index, which serves the few kinds people and the
        // bot write (/incident timeline, the postmortem, the console's pages): a webhook of a group alone wrote one page
        // of it a batch for nothing. Readers of those kinds name the same condition (SqlIncidentStore.NotAlertActivity),
        // so that either engine may use the index. The kinds are the alerts' of this version; the text is kept as it ran.
        """
        DROP INDEX ix_timeline_kind;
        CREATE INDEX ix_timeline_kind ON timeline (incident_number, kind, at, id) WHERE kind NOT IN ('alert_firing', 'alert_resolved');
        """,

        // 26: alerts' rows in the order they came (a rowid table; its key, incident and fingerprint, an index beside it).
        // Clustered on that key, a storm's new alerts went to random places in it, as Alertmanager's fingerprints are
        // hashes: each changed a page of ~300-byte rows, and SQLite logs every changed page whole (4 KB) and copies it
        // again when it checkpoints. Now the rows append, and the random place is a small index entry. In process with
        // hashed fingerprints: a storm 6,597 -> 11,342 webhooks/s, 73 -> 31 KB written a webhook; 100 groups 5,083 ->
        // 7,781/s; with fingerprints in order, no slower. The table is copied once.
        """
        CREATE TABLE alerts_by_arrival (
            incident_number INTEGER NOT NULL REFERENCES incidents (number),
            fingerprint TEXT NOT NULL,
            group_key TEXT NOT NULL,
            status TEXT NOT NULL,
            labels TEXT NOT NULL,
            annotations TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            source_url TEXT,
            first_seen_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (incident_number, fingerprint)
        );
        INSERT INTO alerts_by_arrival (incident_number, fingerprint, group_key, status, labels, annotations, starts_at, ends_at, source_url, first_seen_at, updated_at)
            SELECT incident_number, fingerprint, group_key, status, labels, annotations, starts_at, ends_at, source_url, first_seen_at, updated_at
            FROM alerts ORDER BY incident_number, first_seen_at, starts_at, fingerprint;
        DROP TABLE alerts;
        ALTER TABLE alerts_by_arrival RENAME TO alerts;
        CREATE INDEX ix_alerts_seen ON alerts (incident_number, first_seen_at, starts_at, fingerprint);
        """,

        // 27: PostgreSQL's timeline entries lose their foreign key, as its alerts did (22). SQLite's costs a lookup in the
        // process: kept.
        """
        SELECT 1;
        """,

        // 28: PostgreSQL's function for a digest's excerpt of a stretch. SQLite plans it as it runs: nothing changes.
        """
        SELECT 1;
        """,

        // 29: the alerts' key in a table of its own, merged in bulk (AlertKeys): a new alert's key went to a random page of
        // the table's key, and each such page was logged whole, two thirds of a storm's writer. The rows keep their
        // rowids, now named (id: VACUUM may renumber an unnamed rowid), and the key table names them by incident and the
        // fingerprint's hash (fingerprint_hash: AlertKeys.Hash, given to SQLite by Migrate); every alert's key is in it
        // up to alert_keys_merged.upto, the later ones' in the writer's memory. The table is copied once.
        """
        CREATE TABLE alerts_keyed_apart (
            id INTEGER PRIMARY KEY,
            incident_number INTEGER NOT NULL REFERENCES incidents (number),
            fingerprint TEXT NOT NULL,
            group_key TEXT NOT NULL,
            status TEXT NOT NULL,
            labels TEXT NOT NULL,
            annotations TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER,
            source_url TEXT,
            first_seen_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        INSERT INTO alerts_keyed_apart (id, incident_number, fingerprint, group_key, status, labels, annotations, starts_at, ends_at, source_url, first_seen_at, updated_at)
            SELECT rowid, incident_number, fingerprint, group_key, status, labels, annotations, starts_at, ends_at, source_url, first_seen_at, updated_at
            FROM alerts ORDER BY rowid;
        DROP TABLE alerts;
        ALTER TABLE alerts_keyed_apart RENAME TO alerts;
        CREATE INDEX ix_alerts_seen ON alerts (incident_number, first_seen_at, starts_at, fingerprint);
        CREATE TABLE alert_keys (
            incident_number INTEGER NOT NULL,
            fingerprint_hash INTEGER NOT NULL,
            alert_id INTEGER NOT NULL,
            PRIMARY KEY (incident_number, fingerprint_hash, alert_id)
        ) WITHOUT ROWID;
        INSERT INTO alert_keys (incident_number, fingerprint_hash, alert_id)
            SELECT incident_number, fingerprint_hash(fingerprint), id FROM alerts ORDER BY 1, 2, 3;
        CREATE TABLE alert_keys_merged (upto INTEGER NOT NULL);
        INSERT INTO alert_keys_merged (upto) SELECT COALESCE(MAX(id), 0) FROM alerts;
        """,

        // 30: PostgreSQL's claim reads the waiting jobs by due time, through an index of its own. SQLite's claim reads
        // ix_outbox_due, in (state, due_at, id) order: nothing changes.
        """
        SELECT 1;
        """,

        // 31: PostgreSQL's claim in a function, planned once a connection. SQLite plans it as it prepares it: nothing changes.
        """
        SELECT 1;
        """,

        // 32: the outbox's lanes (JobLane): each job's, from its kind as it is enqueued (the jobs waiting now from the
        // kinds that page people, as of this version); the claim reads each lane's due jobs from its range of this index.
        """
        ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
        UPDATE outbox SET lane = 1 WHERE state IN (0, 1)
            AND kind IN ('escalation.step', 'escalation.page', 'escalation.notify', 'escalation.page_group', 'escalation.webhook', 'heartbeat.check');
        CREATE INDEX ix_outbox_waiting ON outbox (lane, due_at, id) WHERE state = 0;
        """,

        // 33: each incident's row version, which PostgreSQL's writers check for the groups they know (KnownGroups). SQLite's
        // one writer reads in the process and checks nothing: the incidents' updates raise it, as on PostgreSQL, unread.
        """
        ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
        """,

        // 34: the pages the chat service delivers (direct messages, user groups' mentions) get a lane of their own
        // (JobLane.ChatPaging, 2), apart from SMS, calls, e-mails and steps; the jobs waiting of those kinds move to it.
        """
        UPDATE outbox SET lane = 2 WHERE state IN (0, 1) AND kind IN ('escalation.page', 'escalation.page_group');
        """,

        // 35: the bot's own timers (escalation steps, heartbeat checks: JobLane.Timers, 3) get a lane of their own, apart
        // from the pages; the jobs waiting of those kinds move to it.
        """
        UPDATE outbox SET lane = 3 WHERE state IN (0, 1) AND kind IN ('escalation.step', 'heartbeat.check');
        """,

        // 36: a lane for each provider that pages: e-mails (JobLane.Email, 4) apart from SMS and calls, outgoing webhooks
        // (JobLane.Webhooks, 5) apart from both; the jobs waiting of those move to them. The claim's arms are written from
        // the lanes: nothing else changes.
        """
        UPDATE outbox SET lane = 4 WHERE state IN (0, 1) AND kind = 'escalation.notify'
            AND (CASE WHEN json_valid(payload) THEN json_extract(payload, '$.channel') END) = 'email';
        UPDATE outbox SET lane = 5 WHERE state IN (0, 1) AND kind = 'escalation.webhook';
        """,

        // 37: when a job that was tried and is tried again first fell due (a retry moves its due time on), so that a page
        // a provider fails or hangs on, try after try, is seen waiting from its first due time (the gauges' oldest undone
        // job of each lane); set by the retry, never on the webhook's path. Read through a partial index of the few.
        """
        ALTER TABLE outbox ADD COLUMN first_due_at INTEGER;
        CREATE INDEX ix_outbox_retried ON outbox (lane, first_due_at) WHERE state IN (0, 1) AND first_due_at IS NOT NULL;
        """,

        // 38: the topic last set in each incident's channel, so that a summary's refresh sets it only when it changed
        """
        CREATE TABLE channel_topics (
            incident_number INTEGER PRIMARY KEY REFERENCES incidents (number),
            topic TEXT NOT NULL
        );
        """,

        // 39: the pinned summaries' refreshes get a lane of their own (JobLane.Summaries, 6), apart from the channels and
        // messages: while several incidents storm they wait for the chat's budget of updates, never in the slots of a new
        // incident's channel. The refreshes waiting move to it; replicas of the versions before claim the lanes they know
        // (the summaries' wait for an upgraded replica) and enqueue their refreshes in the default lane, as before.
        """
        UPDATE outbox SET lane = 6 WHERE state IN (0, 1) AND kind = 'chat.refresh_summary';
        """,
    ];

    public static int LatestVersion => Migrations.Length;

    public static void Migrate(SqliteConnection connection, long nowMs)
    {
        connection.CreateFunction("fingerprint_hash", (string fingerprint) => AlertKeys.Hash(fingerprint), isDeterministic: true);
        Exec(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        using var current = connection.CreateCommand();
        current.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        var version = Convert.ToInt32(current.ExecuteScalar());
        if (version > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {version}, newer than this bot knows ({Migrations.Length}); upgrade the bot.");
        }

        for (var v = version + 1; v <= Migrations.Length; v++)
        {
            using var tx = connection.BeginTransaction();
            Exec(connection, Migrations[v - 1], tx);
            Exec(connection, $"INSERT INTO schema_migrations (version, applied_at) VALUES ({v}, {nowMs})", tx);
            tx.Commit();
        }
    }

    public static void Exec(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
