using Bot.TestKit;

namespace Bot.Storage.Tests;

// The tests of Core's stages (Bot.Core.Tests, where they run in memory), on each real engine.

public sealed class DigestTestsOnSqlite() : Bot.Core.Tests.Chat.DigestTests(SqlEngine.Sqlite);

public sealed class DigestTestsOnPostgres() : Bot.Core.Tests.Chat.DigestTests(SqlEngine.Postgres);

public sealed class UpdateReminderTestsOnSqlite() : Bot.Core.Tests.Chat.UpdateReminderTests(SqlEngine.Sqlite);

public sealed class UpdateReminderTestsOnPostgres() : Bot.Core.Tests.Chat.UpdateReminderTests(SqlEngine.Postgres);

public sealed class IncidentCommandsTestsOnSqlite() : Bot.Core.Tests.Commands.IncidentCommandsTests(SqlEngine.Sqlite);

public sealed class IncidentCommandsTestsOnPostgres() : Bot.Core.Tests.Commands.IncidentCommandsTests(SqlEngine.Postgres);

public sealed class OutboxDispatcherTestsOnSqlite() : Bot.Core.Tests.Effects.OutboxDispatcherTests(SqlEngine.Sqlite);

public sealed class OutboxDispatcherTestsOnPostgres() : Bot.Core.Tests.Effects.OutboxDispatcherTests(SqlEngine.Postgres);

public sealed class EscalatorTestsOnSqlite() : Bot.Core.Tests.Escalation.EscalatorTests(SqlEngine.Sqlite);

public sealed class EscalatorTestsOnPostgres() : Bot.Core.Tests.Escalation.EscalatorTests(SqlEngine.Postgres);

public sealed class AlertIntakeTestsOnSqlite() : Bot.Core.Tests.Intake.AlertIntakeTests(SqlEngine.Sqlite);

public sealed class AlertIntakeTestsOnPostgres() : Bot.Core.Tests.Intake.AlertIntakeTests(SqlEngine.Postgres);

public sealed class FileTaskTestsOnSqlite() : Bot.Core.Tests.Tasks.FileTaskTests(SqlEngine.Sqlite);

public sealed class FileTaskTestsOnPostgres() : Bot.Core.Tests.Tasks.FileTaskTests(SqlEngine.Postgres);

public sealed class IncidentReadsTestsOnSqlite() : Bot.Core.Tests.Incidents.IncidentReadsTests(SqlEngine.Sqlite);

public sealed class IncidentReadsTestsOnPostgres() : Bot.Core.Tests.Incidents.IncidentReadsTests(SqlEngine.Postgres);

public sealed class HeartbeatTestsOnSqlite() : Bot.Core.Tests.Heartbeats.HeartbeatTests(SqlEngine.Sqlite);

public sealed class HeartbeatTestsOnPostgres() : Bot.Core.Tests.Heartbeats.HeartbeatTests(SqlEngine.Postgres);

public sealed class NotificationTestsOnSqlite() : Bot.Core.Tests.Escalation.NotificationTests(SqlEngine.Sqlite);

public sealed class NotificationTestsOnPostgres() : Bot.Core.Tests.Escalation.NotificationTests(SqlEngine.Postgres);

public sealed class EscalationStepTestsOnSqlite() : Bot.Core.Tests.Escalation.EscalationStepTests(SqlEngine.Sqlite);

public sealed class EscalationStepTestsOnPostgres() : Bot.Core.Tests.Escalation.EscalationStepTests(SqlEngine.Postgres);

public sealed class HandoffTestsOnSqlite() : Bot.Core.Tests.Escalation.HandoffTests(SqlEngine.Sqlite);

public sealed class HandoffTestsOnPostgres() : Bot.Core.Tests.Escalation.HandoffTests(SqlEngine.Postgres);
