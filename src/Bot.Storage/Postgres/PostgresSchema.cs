using Npgsql;

namespace Bot.Storage.Postgres;

/// <summary>
/// The same versioned migrations as <see cref="Sqlite.SqliteSchema"/> (version N means the same tables and columns on
/// both engines), in PostgreSQL's types: times are <c>timestamptz</c>. Replicas starting together take an advisory
/// lock, so exactly one of them migrates and the others find the work done. Never edit a shipped migration.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Any constant: the advisory lock that serialises migrations between replicas.</summary>
    private const long MigrationLock = 0x1c1d_e47b_0700;

    private static readonly string[] Migrations =
    [
        // 1: incidents, alerts, timeline, outbox
        """
        CREATE TABLE incidents (
            number bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            title text NOT NULL,
            severity integer NOT NULL,
            status text NOT NULL,
            source text NOT NULL,
            group_key text NOT NULL,
            open_group_key text UNIQUE,          -- group_key while open, NULL once resolved: one open incident per group
            created_at timestamptz NOT NULL,
            acknowledged_at timestamptz,
            mitigated_at timestamptz,
            resolved_at timestamptz,
            updated_at timestamptz NOT NULL,
            channel_id text,
            channel_name text
        );
        CREATE INDEX ix_incidents_status ON incidents (status, number);

        CREATE TABLE alerts (
            incident_number bigint NOT NULL REFERENCES incidents (number),
            fingerprint text NOT NULL,
            group_key text NOT NULL,
            status text NOT NULL,
            labels text NOT NULL,
            annotations text NOT NULL,
            starts_at timestamptz NOT NULL,
            ends_at timestamptz,
            source_url text,
            first_seen_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (incident_number, fingerprint)
        );
        CREATE INDEX ix_alerts_group ON alerts (group_key, fingerprint, incident_number);

        CREATE TABLE timeline (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            incident_number bigint NOT NULL REFERENCES incidents (number),
            at timestamptz NOT NULL,
            kind text NOT NULL,
            author_id text NOT NULL,
            author_name text NOT NULL,
            text text NOT NULL,
            recorded_at timestamptz NOT NULL
        );
        CREATE INDEX ix_timeline_incident ON timeline (incident_number, recorded_at);

        CREATE TABLE outbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key text NOT NULL UNIQUE,
            kind text NOT NULL,
            ordering_key text NOT NULL,
            payload text NOT NULL,
            state integer NOT NULL,              -- 0 pending, 1 in flight, 2 done, 3 failed
            attempts integer NOT NULL DEFAULT 0,
            due_at timestamptz NOT NULL,
            lease_until timestamptz,
            created_at timestamptz NOT NULL,
            completed_at timestamptz,
            last_error text
        );
        CREATE INDEX ix_outbox_due ON outbox (state, due_at);
        CREATE INDEX ix_outbox_order ON outbox (ordering_key, id) WHERE state IN (0, 1);
        """,

        // 2: the response: lead, roles, progress, postmortem fields, last status update
        """
        ALTER TABLE incidents ADD COLUMN lead_id text;
        ALTER TABLE incidents ADD COLUMN lead_name text;
        ALTER TABLE incidents ADD COLUMN roles text NOT NULL DEFAULT '{}';
        ALTER TABLE incidents ADD COLUMN progress text;
        ALTER TABLE incidents ADD COLUMN impact text;
        ALTER TABLE incidents ADD COLUMN cause text;
        ALTER TABLE incidents ADD COLUMN resolution text;
        ALTER TABLE incidents ADD COLUMN last_update_at timestamptz;
        """,

        // 3: find an incident by its chat channel (slash commands, reactions)
        """
        CREATE INDEX ix_incidents_channel ON incidents (channel_id);
        """,

        // 4: the pinned summary's message id, to update it in place
        """
        ALTER TABLE incidents ADD COLUMN summary_message_id text;
        """,

        // 5: corrective and preventive tasks, filed as issues
        """
        CREATE TABLE tasks (
            incident_number bigint NOT NULL REFERENCES incidents (number),
            number integer NOT NULL,
            kind text NOT NULL,
            title text NOT NULL,
            assignee text,
            url text,
            state text,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (incident_number, number)
        );
        """,

        // 6: escalations, one row per (incident, policy); their timers are outbox jobs
        """
        CREATE TABLE escalations (
            incident_number bigint NOT NULL REFERENCES incidents (number),
            policy text NOT NULL,
            run integer NOT NULL,
            status text NOT NULL,
            cycle integer NOT NULL,
            step integer NOT NULL,
            paged text NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (incident_number, policy)
        );
        """,

        // 7: how often each outbox job was claimed: a job claimed again may have done its side effect before
        """
        ALTER TABLE outbox ADD COLUMN claims integer NOT NULL DEFAULT 0;
        """,

        // 8: each incident's alert tally and runbooks, kept as alerts change (a storm's summary no longer reads every
        // alert), counted once here from the alerts already stored; its first alerts read through an index
        """
        ALTER TABLE incidents ADD COLUMN alert_count integer NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN firing_count integer NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN runbooks text NOT NULL DEFAULT '[]';
        UPDATE incidents i SET
            alert_count = (SELECT COUNT(*) FROM alerts a WHERE a.incident_number = i.number),
            firing_count = (SELECT COUNT(*) FROM alerts a WHERE a.incident_number = i.number AND a.status = 'firing'),
            runbooks = COALESCE((
                SELECT json_agg(r ORDER BY seen)::text FROM (
                    SELECT r, MIN(seen) AS seen FROM (
                        SELECT COALESCE(a.annotations::json ->> 'runbook_url', a.annotations::json ->> 'runbook') AS r, a.first_seen_at AS seen
                        FROM alerts a WHERE a.incident_number = i.number) x
                    WHERE r IS NOT NULL GROUP BY r ORDER BY MIN(seen) LIMIT 3) t), '[]');
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
        ALTER TABLE incidents ADD COLUMN first_alert_at timestamptz;
        UPDATE incidents i SET first_alert_at = (SELECT MIN(a.starts_at) FROM alerts a WHERE a.incident_number = i.number);
        CREATE INDEX ix_timeline_at ON timeline (incident_number, at, id);
        CREATE INDEX ix_timeline_kind ON timeline (incident_number, kind, at, id);
        """,

        // 11: readiness writes: /readyz commits a row here through the writer (with 64 KiB, the room a batch of webhooks
        // needs), so a store that can read but not write (a full disk, a read-only file system, a failed-over database)
        // is not ready
        """
        CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at timestamptz NOT NULL, room bytea NOT NULL);
        """,

        // 12: heartbeats (dead man's switches): when each last beat, whether it is missed, and its check's outbox job
        """
        CREATE TABLE heartbeats (name TEXT PRIMARY KEY, last_beat_at timestamptz NOT NULL, missed integer NOT NULL, check_key TEXT);
        """,

        // 13: the trace a job was enqueued in (W3C traceparent): its run, minutes later, continues that trace
        """
        ALTER TABLE outbox ADD COLUMN trace_parent TEXT;
        """,

        // 14: e-mailed acknowledge links that were used (their hashes): a link works once
        """
        CREATE TABLE ack_links_used (link_hash TEXT PRIMARY KEY, used_at timestamptz NOT NULL);
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
        CREATE TABLE oncall_overrides (id bigserial PRIMARY KEY, team TEXT NOT NULL, user_id TEXT NOT NULL, from_at timestamptz NOT NULL, to_at timestamptz NOT NULL);
        CREATE INDEX ix_oncall_overrides ON oncall_overrides (team, to_at);
        """,

        // 18: who was paged when, one row per step and person (the reports count pages per person, and out of hours)
        """
        CREATE TABLE pages (step_key TEXT NOT NULL, user_id TEXT NOT NULL, incident_number bigint NOT NULL, policy TEXT NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (step_key, user_id));
        CREATE INDEX ix_pages_at ON pages (at);
        CREATE INDEX ix_incidents_created ON incidents (created_at);
        """,

        // 19: the host's keys (ASP.NET Core's data-protection key ring), shared by every replica and kept across restarts
        """
        CREATE TABLE host_keys (name TEXT PRIMARY KEY, document TEXT NOT NULL);
        """,

        // 20: the jobs not done, in id order: the claim read the outbox's primary key past every done job (kept for days),
        // 13 ms a claim with 10,000 of them, 0.2 ms through this index
        """
        CREATE INDEX ix_outbox_open ON outbox (id) WHERE state IN (0, 1);
        """,

        // 21: a webhook's alert read, planned once per connection instead of on every call (PostgreSQL kept it on plans
        // made for its values, 0.1-0.2 ms of planning against 0.04 of running). Its one plan is a lookup of the primary
        // key per fingerprint: in a subquery the planner cannot flatten (OFFSET 0), with no sequential or bitmap scan to
        // choose, so the plan it keeps for the connection, even one made while the table was small, never reads a storm's
        // incident whole. The columns are SqlRows.AlertColumns, in its order.
        """
        CREATE OR REPLACE FUNCTION open_incident_alerts(wanted_group text, wanted text[])
        RETURNS TABLE (incident_number bigint, fingerprint text, status text, labels text, annotations text,
                       starts_at timestamptz, ends_at timestamptz, source_url text, first_seen_at timestamptz, updated_at timestamptz)
        LANGUAGE plpgsql STABLE
        SET plan_cache_mode = force_generic_plan
        SET enable_seqscan = off
        SET enable_bitmapscan = off
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            SELECT a.incident_number, a.fingerprint, a.status, a.labels, a.annotations, a.starts_at, a.ends_at, a.source_url,
                   a.first_seen_at, a.updated_at
            FROM unnest(wanted) AS w(fingerprint)
            CROSS JOIN LATERAL (
                SELECT x.* FROM alerts x
                WHERE x.incident_number = (SELECT i.number FROM incidents i WHERE i.open_group_key = wanted_group)
                  AND x.fingerprint = w.fingerprint
                OFFSET 0) a;
        END
        $body$;
        """,

        // 22: an alert's incident checked by the statement that writes it, not by a foreign key. The key ran a locking
        // lookup of the incident for every alert (five a webhook, from a trigger each): ~40% of a batch's alert insert,
        // ~15% of the database's CPU a webhook. The writer's one alert statement (PostgresDialect.AlertArrays) now takes
        // each alert's incident number from the incident's row, so an alert of no incident is a null number, refused by
        // the column (23502, a broken constraint as the key's was; a trigger checking each statement's alerts instead
        // cost more than it saved). Incidents are never deleted nor renumbered; a delete of one that still has alerts is
        // refused as the key refused it. (Written to run again harmlessly, as a test that rewinds the history runs it.)
        """
        ALTER TABLE alerts DROP CONSTRAINT IF EXISTS alerts_incident_number_fkey;

        CREATE OR REPLACE FUNCTION refuse_deleting_incidents_with_alerts() RETURNS trigger
        LANGUAGE plpgsql
        SET search_path FROM CURRENT
        AS $body$
        BEGIN
            IF EXISTS (SELECT 1 FROM old_incidents o WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.incident_number = o.number)) THEN
                RAISE foreign_key_violation USING MESSAGE = 'delete on table "incidents" refused: the incident still has alerts';
            END IF;
            RETURN NULL;
        END
        $body$;

        DROP TRIGGER IF EXISTS incidents_deleted_without_alerts ON incidents;
        CREATE TRIGGER incidents_deleted_without_alerts AFTER DELETE ON incidents
            REFERENCING OLD TABLE AS old_incidents FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_incidents_with_alerts();
        """,

        // 23: a batch's alert read for all its groups in one call: open_incident_alerts (21) for pairs of a group and a
        // fingerprint, the group's key with each alert found. The function's own cost (its settings, its result) was
        // paid once a group a batch, ~20% of the database's time a webhook on many groups. Planned the same way.
        """
        CREATE OR REPLACE FUNCTION open_incidents_alerts(wanted_groups text[], wanted text[])
        RETURNS TABLE (incident_number bigint, fingerprint text, status text, starts_at timestamptz, group_key text)
        LANGUAGE plpgsql STABLE
        SET plan_cache_mode = force_generic_plan
        SET enable_seqscan = off
        SET enable_bitmapscan = off
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            SELECT a.incident_number, a.fingerprint, a.status, a.starts_at, w.g
            FROM unnest(wanted_groups, wanted) AS w(g, f)
            CROSS JOIN LATERAL (
                SELECT x.* FROM alerts x
                WHERE x.incident_number = (SELECT i.number FROM incidents i WHERE i.open_group_key = w.g)
                  AND x.fingerprint = w.f
                OFFSET 0) a;
        END
        $body$;
        """,

        // 24: every text column in an index compared byte by byte (collation "C"), whatever the database's collation. With
        // a linguistic one (en_US.UTF-8, what most servers are given) every comparison in these indexes went through its
        // rules: each fingerprint the batch's alert read looked up, each alert's insert into its primary key (a random
        // fingerprint), each timeline entry's into its index by kind. On 100 groups with en_US.UTF-8 the alert read took
        // 0.68-0.71 ms a batch against 0.28-0.29, and the rate was 4,617-5,496 webhooks/s against 6,470-6,763. These are
        // keys and names the bot makes or is given (fingerprints, group keys, kinds, states, job keys, ids), looked up by
        // equality; the only orders they give are an incident's escalations by policy name (now byte order, as on SQLite)
        // and the batch's read of its incidents, which now locks them in byte order, the order the writers sort their
        // groups in. Alerts listed by time break ties by fingerprint (hex). The tables are not rewritten (the type is the
        // same); their indexes on these columns are rebuilt, once. A new index on a text column declares COLLATE "C" too
        // (PostgresIncidentStoreTests checks every one).
        """
        ALTER TABLE alerts ALTER COLUMN fingerprint TYPE text COLLATE "C", ALTER COLUMN group_key TYPE text COLLATE "C";
        ALTER TABLE incidents ALTER COLUMN group_key TYPE text COLLATE "C", ALTER COLUMN open_group_key TYPE text COLLATE "C",
            ALTER COLUMN status TYPE text COLLATE "C", ALTER COLUMN channel_id TYPE text COLLATE "C";
        ALTER TABLE timeline ALTER COLUMN kind TYPE text COLLATE "C";
        ALTER TABLE outbox ALTER COLUMN key TYPE text COLLATE "C", ALTER COLUMN ordering_key TYPE text COLLATE "C";
        ALTER TABLE escalations ALTER COLUMN policy TYPE text COLLATE "C";
        ALTER TABLE pages ALTER COLUMN step_key TYPE text COLLATE "C", ALTER COLUMN user_id TYPE text COLLATE "C";
        ALTER TABLE oncall_overrides ALTER COLUMN team TYPE text COLLATE "C";
        ALTER TABLE turns ALTER COLUMN key TYPE text COLLATE "C";
        ALTER TABLE heartbeats ALTER COLUMN name TYPE text COLLATE "C";
        ALTER TABLE ack_links_used ALTER COLUMN link_hash TYPE text COLLATE "C";
        ALTER TABLE notification_rules ALTER COLUMN user_id TYPE text COLLATE "C";
        ALTER TABLE host_keys ALTER COLUMN name TYPE text COLLATE "C";
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

        // 26: SQLite's alerts become a table in arrival order with their key beside it. PostgreSQL's always were (a heap
        // and its primary key's index): nothing changes here.
        """
        SELECT 1;
        """,

        // 27: a timeline entry's incident checked as an alert's is (22), not by a foreign key: a webhook writes one entry,
        // and the key's trigger ran a locking lookup of the incident for it (SPI, ~1.5% of the machine's CPU on hashed 100
        // groups). The writer's entries statement (PostgresDialect.TimelineArrays) and the entry written once take the
        // number from the incident's row, so an entry of no incident is refused by the column (23502); a delete of an
        // incident that still has entries is refused, as the key refused it. (Runs again harmlessly, as 22.)
        """
        ALTER TABLE timeline DROP CONSTRAINT IF EXISTS timeline_incident_number_fkey;

        CREATE OR REPLACE FUNCTION refuse_deleting_incidents_with_alerts() RETURNS trigger
        LANGUAGE plpgsql
        SET search_path FROM CURRENT
        AS $body$
        BEGIN
            IF EXISTS (SELECT 1 FROM old_incidents o WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.incident_number = o.number)) THEN
                RAISE foreign_key_violation USING MESSAGE = 'delete on table "incidents" refused: the incident still has alerts';
            END IF;
            IF EXISTS (SELECT 1 FROM old_incidents o WHERE EXISTS (SELECT 1 FROM timeline t WHERE t.incident_number = o.number)) THEN
                RAISE foreign_key_violation USING MESSAGE = 'delete on table "incidents" refused: the incident still has timeline entries';
            END IF;
            RETURN NULL;
        END
        $body$;
        """,

        // 28: a digest's excerpt of a stretch (SqlDialect.SourceActivity) read in the order of ix_timeline_incident, on a
        // plan with no bitmap scan or sort to choose: a storm's statistics are always older than the stretch, which the
        // planner then took for a row or two, and it read the 25,000-35,000 entries of 5 s whole to sort them. The
        // columns are SqlRows.TimelineColumns, in its order.
        """
        CREATE OR REPLACE FUNCTION source_activity(wanted bigint, recorded_from timestamptz, recorded_to timestamptz, most integer)
        RETURNS TABLE (at timestamptz, kind text, author_id text, author_name text, text text, recorded_at timestamptz, id bigint)
        LANGUAGE plpgsql STABLE
        SET plan_cache_mode = force_generic_plan
        SET enable_seqscan = off
        SET enable_bitmapscan = off
        SET enable_sort = off
        SET enable_indexscan = on
        SET search_path FROM CURRENT
        AS $body$
        BEGIN
            RETURN QUERY
            SELECT t.at, t.kind, t.author_id, t.author_name, t.text, t.recorded_at, t.id
            FROM timeline t
            WHERE t.incident_number = wanted AND t.recorded_at >= recorded_from AND t.recorded_at < recorded_to
              AND t.author_id LIKE 'source:%'
            ORDER BY t.recorded_at
            LIMIT most;
        END
        $body$;
        """,

        // 29: SQLite's alerts' key goes to a table of its own, merged in bulk from the writer's memory (each of its pages
        // changed was logged whole). PostgreSQL's index logs a record an insert: nothing changes.
        """
        SELECT 1;
        """,

        // 30: the claim reads the waiting jobs earliest due first, from the start of this index in its order, and stops
        // once it has what it asked for or at the first not due, whatever the statistics say (taken in a burst, when
        // thousands waited, they made ix_outbox_due's plan a scan of the table). Read in id order through
        // ix_outbox_open (dropped: nothing else reads it), a claim that found fewer due jobs than it asked for (most of
        // them) read every job waiting for a later time: 2.3 ms a claim with 10,000 escalation steps, reminders and
        // hand-offs waiting, on the writer, between webhooks' batches.
        """
        CREATE INDEX ix_outbox_waiting ON outbox (due_at, id) WHERE state = 0;
        DROP INDEX IF EXISTS ix_outbox_open;
        """,

        // 31: the outbox's claim (SqlDialect.ClaimDueJobs as of migration 30, with FOR UPDATE SKIP LOCKED), planned
        // once a connection: inline, PostgreSQL costed its generic plan (the time and the limit unknown) above its custom
        // plans and planned a quarter of the claims anew, 0.63 ms each, more than the claim's run, on the writer. The
        // columns are SqlRows.JobColumns, in its order.
        """
        CREATE OR REPLACE FUNCTION claim_due_jobs(now_at timestamptz, lease_to timestamptz, most integer)
        RETURNS TABLE (id bigint, key text, kind text, ordering_key text, payload text, attempts integer, due_at timestamptz,
                       created_at timestamptz, claims integer, trace_parent text)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            WITH expired AS (
                SELECT o.id, o.due_at FROM outbox o
                WHERE o.state = 1 AND o.lease_until <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most FOR UPDATE OF o SKIP LOCKED),
            waiting AS (
                SELECT o.id, o.due_at FROM outbox o
                WHERE o.state = 0 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most FOR UPDATE OF o SKIP LOCKED)
            UPDATE outbox u SET state = 1, lease_until = lease_to, claims = u.claims + 1
            WHERE u.id IN (SELECT c.id FROM (SELECT e.id, e.due_at FROM expired e UNION ALL SELECT w.id, w.due_at FROM waiting w) c
                           ORDER BY c.due_at, c.id LIMIT most)
            RETURNING u.id, u.key, u.kind, u.ordering_key, u.payload, u.attempts, u.due_at, u.created_at, u.claims, u.trace_parent;
        END
        $body$;
        """,

        // 32: the outbox's lanes (JobLane): each job's, from its kind as it is enqueued (the jobs waiting now from the
        // kinds that page people, as of this version); the waiting jobs indexed by lane, then due time; the claim takes
        // up to so many of each (SqlDialect.ClaimDueJobs as of this version, FOR UPDATE SKIP LOCKED), so a backlog of
        // channel messages never holds back a page. The columns are SqlRows.JobColumns, in its order. The function of
        // three arguments stays: replicas of the version before, still running through a rolling upgrade, claim with it.
        """
        ALTER TABLE outbox ADD COLUMN lane smallint NOT NULL DEFAULT 0;
        UPDATE outbox SET lane = 1 WHERE state IN (0, 1)
            AND kind IN ('escalation.step', 'escalation.page', 'escalation.notify', 'escalation.page_group', 'escalation.webhook', 'heartbeat.check');
        DROP INDEX IF EXISTS ix_outbox_waiting;
        CREATE INDEX ix_outbox_waiting ON outbox (lane, due_at, id) WHERE state = 0;
        CREATE OR REPLACE FUNCTION claim_due_jobs(now_at timestamptz, lease_to timestamptz, most integer, most_paging integer)
        RETURNS TABLE (id bigint, key text, kind text, ordering_key text, payload text, attempts integer, due_at timestamptz,
                       created_at timestamptz, claims integer, trace_parent text, lane smallint)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            WITH expired AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 1 AND o.lease_until <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most + most_paging FOR UPDATE OF o SKIP LOCKED),
            waiting AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 0 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most FOR UPDATE OF o SKIP LOCKED),
            paging AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 1 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most_paging FOR UPDATE OF o SKIP LOCKED),
            due AS (SELECT e.id, e.due_at, e.lane FROM expired e UNION ALL SELECT w.id, w.due_at, w.lane FROM waiting w
                    UNION ALL SELECT g.id, g.due_at, g.lane FROM paging g)
            UPDATE outbox u SET state = 1, lease_until = lease_to, claims = u.claims + 1
            WHERE u.id IN (
                SELECT d.id FROM (SELECT d0.id FROM due d0 WHERE d0.lane = 0 ORDER BY d0.due_at, d0.id LIMIT most) d
                UNION ALL SELECT d.id FROM (SELECT d1.id FROM due d1 WHERE d1.lane = 1 ORDER BY d1.due_at, d1.id LIMIT most_paging) d)
            RETURNING u.id, u.key, u.kind, u.ordering_key, u.payload, u.attempts, u.due_at, u.created_at, u.claims, u.trace_parent, u.lane;
        END
        $body$;
        """,

        // 33: each incident's row version, raised at every write of the row and of its escalations, whatever wrote it: the
        // bot's statements raise it themselves (the trigger's condition, evaluated without calling it, then passes them
        // by), and a trigger raises it for any other (a replica of the version before, through a rolling upgrade, or a
        // person's SQL) and for each write of an escalation; a writer that knows a
        // batch's groups as its last commit left them checks their versions instead of reading them (KnownGroups): the
        // check locks them in the order of their keys, as the read does, and fails the transaction as a serialization
        // failure (the batch runs again, reading) when one is not at the version the writer knew.
        """
        ALTER TABLE incidents ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT 0;
        CREATE OR REPLACE FUNCTION raise_incident_version() RETURNS trigger
        LANGUAGE plpgsql
        AS $body$
        BEGIN
            NEW.version := OLD.version + 1;
            RETURN NEW;
        END
        $body$;
        CREATE OR REPLACE TRIGGER incidents_version BEFORE UPDATE ON incidents
            FOR EACH ROW WHEN (NEW.version = OLD.version) EXECUTE FUNCTION raise_incident_version();
        CREATE OR REPLACE FUNCTION raise_escalated_incident_version() RETURNS trigger
        LANGUAGE plpgsql
        SET search_path FROM CURRENT
        AS $body$
        BEGIN
            UPDATE incidents SET version = version + 1 WHERE number = NEW.incident_number;
            RETURN NULL;
        END
        $body$;
        CREATE OR REPLACE TRIGGER escalations_version AFTER INSERT OR UPDATE ON escalations
            FOR EACH ROW EXECUTE FUNCTION raise_escalated_incident_version();
        CREATE OR REPLACE FUNCTION check_incident_versions(wanted bigint[], versions bigint[])
        RETURNS integer
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET enable_seqscan = off
        SET search_path FROM CURRENT
        AS $body$
        DECLARE
            found integer;
        BEGIN
            SELECT count(*) INTO found
            FROM (SELECT i.number, i.version FROM incidents i
                  WHERE i.number = ANY(wanted) AND i.open_group_key IS NOT NULL
                  ORDER BY i.open_group_key
                  FOR UPDATE) locked
            JOIN unnest(wanted, versions) AS k (n, v) ON locked.number = k.n AND locked.version = k.v;
            IF found <> cardinality(wanted) THEN
                RAISE EXCEPTION 'an incident this writer knew was changed by another writer since'
                    USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN found;
        END
        $body$;
        """,

        // 34: the pages the chat service delivers (direct messages, user groups' mentions) get a lane of their own
        // (JobLane.ChatPaging, 2), apart from SMS, calls, e-mails and steps: a chat service that hangs holds only its slots.
        // The jobs waiting of those kinds (as of this version) move to it; the claim takes up to so many of each of the three
        // lanes. The function of four arguments stays for replicas of the version before, through a rolling upgrade: they
        // claim the first two lanes, and enqueue their pages in the second.
        """
        UPDATE outbox SET lane = 2 WHERE state IN (0, 1) AND kind IN ('escalation.page', 'escalation.page_group');
        CREATE OR REPLACE FUNCTION claim_due_jobs(now_at timestamptz, lease_to timestamptz, most integer, most_paging integer, most_chat integer)
        RETURNS TABLE (id bigint, key text, kind text, ordering_key text, payload text, attempts integer, due_at timestamptz,
                       created_at timestamptz, claims integer, trace_parent text, lane smallint)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            WITH expired AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 1 AND o.lease_until <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most + most_paging + most_chat FOR UPDATE OF o SKIP LOCKED),
            waiting AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 0 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most FOR UPDATE OF o SKIP LOCKED),
            paging AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 1 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most_paging FOR UPDATE OF o SKIP LOCKED),
            chat AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 2 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most_chat FOR UPDATE OF o SKIP LOCKED),
            due AS (SELECT e.id, e.due_at, e.lane FROM expired e UNION ALL SELECT w.id, w.due_at, w.lane FROM waiting w
                    UNION ALL SELECT g.id, g.due_at, g.lane FROM paging g UNION ALL SELECT c.id, c.due_at, c.lane FROM chat c)
            UPDATE outbox u SET state = 1, lease_until = lease_to, claims = u.claims + 1
            WHERE u.id IN (
                SELECT d.id FROM (SELECT d0.id FROM due d0 WHERE d0.lane = 0 ORDER BY d0.due_at, d0.id LIMIT most) d
                UNION ALL SELECT d.id FROM (SELECT d1.id FROM due d1 WHERE d1.lane = 1 ORDER BY d1.due_at, d1.id LIMIT most_paging) d
                UNION ALL SELECT d.id FROM (SELECT d2.id FROM due d2 WHERE d2.lane = 2 ORDER BY d2.due_at, d2.id LIMIT most_chat) d)
            RETURNING u.id, u.key, u.kind, u.ordering_key, u.payload, u.attempts, u.due_at, u.created_at, u.claims, u.trace_parent, u.lane;
        END
        $body$;
        """,

        // 35: the bot's own timers (escalation steps, heartbeat checks: JobLane.Timers, 3), which call nothing outside the
        // store, get a lane of their own, apart from the pages: a provider that hangs (SMS, mail, a webhook's endpoint)
        // holds back no escalation's next step. The jobs waiting of those kinds (as of this version) move to it; the claim
        // takes up to so many of each of the four lanes. The functions of four and five arguments stay for replicas of the
        // versions before, through a rolling upgrade: they claim the lanes they know, and enqueue their steps in the second.
        """
        UPDATE outbox SET lane = 3 WHERE state IN (0, 1) AND kind IN ('escalation.step', 'heartbeat.check');
        CREATE OR REPLACE FUNCTION claim_due_jobs(now_at timestamptz, lease_to timestamptz, most integer, most_paging integer, most_chat integer, most_timers integer)
        RETURNS TABLE (id bigint, key text, kind text, ordering_key text, payload text, attempts integer, due_at timestamptz,
                       created_at timestamptz, claims integer, trace_parent text, lane smallint)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        BEGIN
            RETURN QUERY
            WITH expired AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 1 AND o.lease_until <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most + most_paging + most_chat + most_timers FOR UPDATE OF o SKIP LOCKED),
            waiting AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 0 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most FOR UPDATE OF o SKIP LOCKED),
            paging AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 1 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most_paging FOR UPDATE OF o SKIP LOCKED),
            chat AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 2 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most_chat FOR UPDATE OF o SKIP LOCKED),
            timers AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 0 AND o.lane = 3 AND o.due_at <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT most_timers FOR UPDATE OF o SKIP LOCKED),
            due AS (SELECT e.id, e.due_at, e.lane FROM expired e UNION ALL SELECT w.id, w.due_at, w.lane FROM waiting w
                    UNION ALL SELECT g.id, g.due_at, g.lane FROM paging g UNION ALL SELECT c.id, c.due_at, c.lane FROM chat c
                    UNION ALL SELECT t.id, t.due_at, t.lane FROM timers t)
            UPDATE outbox u SET state = 1, lease_until = lease_to, claims = u.claims + 1
            WHERE u.id IN (
                SELECT d.id FROM (SELECT d0.id FROM due d0 WHERE d0.lane = 0 ORDER BY d0.due_at, d0.id LIMIT most) d
                UNION ALL SELECT d.id FROM (SELECT d1.id FROM due d1 WHERE d1.lane = 1 ORDER BY d1.due_at, d1.id LIMIT most_paging) d
                UNION ALL SELECT d.id FROM (SELECT d2.id FROM due d2 WHERE d2.lane = 2 ORDER BY d2.due_at, d2.id LIMIT most_chat) d
                UNION ALL SELECT d.id FROM (SELECT d3.id FROM due d3 WHERE d3.lane = 3 ORDER BY d3.due_at, d3.id LIMIT most_timers) d)
            RETURNING u.id, u.key, u.kind, u.ordering_key, u.payload, u.attempts, u.due_at, u.created_at, u.claims, u.trace_parent, u.lane;
        END
        $body$;
        """,

        // 36: a lane for each provider that pages: e-mails (JobLane.Email, 4) apart from SMS and calls, so a slow SMS
        // provider holds back no e-mail, and outgoing webhooks (JobLane.Webhooks, 5) apart from both; the jobs waiting of
        // those (as of this version) move to them. The claim now takes the lanes' counts in an array, by the lanes'
        // numbers, and claims from each lane it is given a count for: one function whatever the lanes, so a lane added
        // later needs no new one. The functions of three to six arguments stay for replicas of the versions before,
        // through a rolling upgrade: they claim the lanes they know (the new lanes' jobs wait for an upgraded replica). The
        // e-mails are found by their text, not read as JSON: a payload that is not JSON stays where it is, and never stops
        // the upgrade (a bot that does not start pages nobody).
        """
        UPDATE outbox SET lane = 4 WHERE state IN (0, 1) AND kind = 'escalation.notify' AND payload ~ '"channel"\s*:\s*"email"';
        UPDATE outbox SET lane = 5 WHERE state IN (0, 1) AND kind = 'escalation.webhook';
        CREATE OR REPLACE FUNCTION claim_due_jobs(now_at timestamptz, lease_to timestamptz, wanted integer[])
        RETURNS TABLE (id bigint, key text, kind text, ordering_key text, payload text, attempts integer, due_at timestamptz,
                       created_at timestamptz, claims integer, trace_parent text, lane smallint)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        SET search_path FROM CURRENT
        AS $body$
        #variable_conflict use_column
        DECLARE
            total integer := (SELECT COALESCE(SUM(w), 0) FROM unnest(wanted) w WHERE w > 0);
        BEGIN
            RETURN QUERY
            WITH expired AS (
                SELECT o.id, o.due_at, o.lane FROM outbox o
                WHERE o.state = 1 AND o.lease_until <= now_at
                  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                ORDER BY o.due_at, o.id LIMIT total FOR UPDATE OF o SKIP LOCKED),
            lanes AS (
                SELECT (n - 1)::smallint AS lane, wanted[n] AS most FROM generate_subscripts(wanted, 1) n WHERE wanted[n] > 0),
            waiting AS (
                SELECT w.id, w.due_at, w.lane FROM lanes l CROSS JOIN LATERAL (
                    SELECT o.id, o.due_at, o.lane FROM outbox o
                    WHERE o.state = 0 AND o.lane = l.lane AND o.due_at <= now_at
                      AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))
                    ORDER BY o.due_at, o.id LIMIT l.most FOR UPDATE OF o SKIP LOCKED) w),
            due AS (SELECT e.id, e.due_at, e.lane FROM expired e UNION ALL SELECT w.id, w.due_at, w.lane FROM waiting w)
            UPDATE outbox u SET state = 1, lease_until = lease_to, claims = u.claims + 1
            WHERE u.id IN (
                SELECT d.id FROM lanes l CROSS JOIN LATERAL (
                    SELECT d0.id FROM due d0 WHERE d0.lane = l.lane ORDER BY d0.due_at, d0.id LIMIT l.most) d)
            RETURNING u.id, u.key, u.kind, u.ordering_key, u.payload, u.attempts, u.due_at, u.created_at, u.claims, u.trace_parent, u.lane;
        END
        $body$;
        """,

        // 37: when a job that was tried and is tried again first fell due (a retry moves its due time on), so that a page
        // a provider fails or hangs on, try after try, is seen waiting from its first due time (the gauges' oldest undone
        // job of each lane); set by the retry, never on the webhook's path. Read through a partial index of the few.
        // Replicas of the versions before leave it unset: their retried jobs are seen from their next due time, as before.
        """
        ALTER TABLE outbox ADD COLUMN first_due_at timestamptz;
        CREATE INDEX ix_outbox_retried ON outbox (lane, first_due_at) WHERE state IN (0, 1) AND first_due_at IS NOT NULL;
        """,

        // 38: the topic last set in each incident's channel, so that a summary's refresh sets it only when it changed
        // (a storm refreshes the summary every 2 s; the chat allows few topic changes a minute)
        """
        CREATE TABLE channel_topics (
            incident_number bigint PRIMARY KEY REFERENCES incidents (number),
            topic text NOT NULL
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

    public static void Migrate(NpgsqlConnection connection, DateTimeOffset now)
    {
        using var tx = connection.BeginTransaction();
        Exec(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Exec(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL)");
        using var current = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", connection, tx);
        var version = Convert.ToInt32(current.ExecuteScalar());
        if (version > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {version}, newer than this bot knows ({Migrations.Length}); upgrade the bot.");
        }

        for (var v = version + 1; v <= Migrations.Length; v++)
        {
            Exec(connection, tx, Migrations[v - 1]);
            using var applied = new NpgsqlCommand("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @at)", connection, tx);
            applied.Parameters.AddWithValue("v", (long)v);
            applied.Parameters.AddWithValue("at", now.ToUniversalTime());
            applied.ExecuteNonQuery();
        }

        tx.Commit();
    }

    private static void Exec(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, tx);
        command.ExecuteNonQuery();
    }
}
