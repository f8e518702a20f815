using Bot.Api;
using Bot.Core.Commands;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Security;
using Markdig;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace Bot.WebConsole;

/// <summary>
/// The web console (<c>/console</c>): the incident list and each incident's page, server-rendered (Razor components),
/// one small script of its own (<see cref="Script"/>; every page works without it), a strict Content-Security-Policy, every alert and person's text escaped; its forms act through the
/// same command service and permissions as <c>/incident</c>, with antiforgery tokens. With <c>Console:Oidc</c> set,
/// people sign in with OpenID Connect (<see cref="ConsoleSignIn"/>); without it the console answers this machine only,
/// as the local operator (<c>Console:LocalUser</c>).
/// </summary>
internal static class ConsoleEndpoints
{
    private const int PageSize = 50;

    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
        builder.Services.AddAntiforgery(o => o.Cookie.Name = "incident-bot-csrf");
        StoreKeyRing.Add(builder.Services);
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConsoleOptions>, ConsoleOptionsValidator>();
        var options = builder.Configuration.GetSection(ConsoleOptions.SectionName).Get<ConsoleOptions>() ?? new();
        if (options.SignInConfigured)
        {
            ConsoleSignIn.Add(builder.Services, options.Oidc);
        }

        return builder;
    }

    public static void MapConsole(this WebApplication app)
    {
        var consoleOptions = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        var signIn = consoleOptions.SignInConfigured;
        // Signing out posts a form whose answer sends the browser on to the provider's end-session endpoint: a form's
        // redirects are held to form-action too.
        var provider = signIn && Uri.TryCreate(consoleOptions.Oidc.Authority, UriKind.Absolute, out var authority) ? $" {authority.GetLeftPart(UriPartial.Authority)}" : "";
        var policy = $"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'{provider}; frame-ancestors 'none'; base-uri 'none'";
        var console = app.MapGroup("/console").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (!signIn && !ClientAddress.IsLocal(http) && !http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.AllowAnonymous)
            {
                return Results.Problem(
                    statusCode: StatusCodes.Status403Forbidden,
                    title: "This machine only",
                    detail: "The console answers clients on the bot's own machine until sign-in is configured (Console:Oidc); reach it through an SSH tunnel meanwhile.");
            }

            return await next(context);
        });
        if (signIn)
        {
            console.RequireAuthorization(ConsoleSignIn.Policy);
            console.MapPost("/signout", (Delegate)ConsoleSignIn.SignOutAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
            console.MapGet("/signed-out", ConsoleSignIn.SignedOut).AllowAnonymous();
        }

        console.MapGet("/", ListAsync);
        console.MapGet("/incidents/{id}", IncidentAsync);
        console.MapGet("/incidents/{id}/live", LiveTimeline.StreamAsync);
        console.MapGet("/incidents/{id}/alerts", AlertsAsync);
        console.MapGet("/incidents/{id}/timeline", TimelineAsync);
        console.MapGet("/incidents/{id}/postmortem", PostmortemAsync);
        console.MapPost("/incidents/{id}/commands", ActAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
        console.MapGet("/oncall", OnCallAsync);
        console.MapPost("/oncall/test-page", TestPageAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
        console.MapPost("/oncall/override", OverrideAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
        console.MapPost("/oncall/rules", RulesAsync).WithMetadata(new RequireAntiforgeryTokenAttribute());
        console.MapGet("/routes", RoutesPage);
        console.MapGet("/reports", ReportsAsync);
        console.MapGet("/console.css", () => Results.Text(Css, "text/css")).AllowAnonymous(); // the signed-out page's too
        console.MapGet("/console.js", () => Results.Text(Script, "text/javascript")).AllowAnonymous();
    }

    private static async Task<IResult> ListAsync(
        HttpContext http, IIncidentReads store, IOptions<ConsoleOptions> options, IOptions<EscalationOptions> escalation,
        string? status, string? before, string? q, string? severity, string? team, string? from, string? to, CancellationToken ct)
    {
        var filter = IncidentFilter.Parse(status, q, severity, team, from, to, escalation.Value);
        if (filter.Error is { } error)
        {
            return Results.Problem(statusCode: 400, title: "Bad filter", detail: error);
        }

        if (filter.Search is { } search && search.StartsWith("INC-", StringComparison.OrdinalIgnoreCase) && await FindAsync(search, store, ct) is { } found)
        {
            return Results.Redirect($"/console/incidents/{found.Key}"); // searching for INC-42 opens it
        }

        var query = filter.Query(PageSize + 1);
        if (!string.IsNullOrEmpty(before))
        {
            if (!long.TryParse(before, out var number) || number < 1)
            {
                return Results.Problem(statusCode: 400, title: "Bad page", detail: $"before '{before}' is not an incident number.");
            }

            query = query with { Before = number };
        }

        var page = await store.ListIncidentsAsync(query, ct);
        var shown = page.Take(PageSize).ToList();
        var next = page.Count > PageSize ? $"/console?{filter.QueryString()}&before={shown[^1].Number}" : null;
        return new RazorComponentResult<IncidentListPage>(new
        {
            Incidents = shown,
            Filter = filter,
            Teams = (IReadOnlyList<string>)[.. escalation.Value.Teams.Keys.Order(StringComparer.Ordinal)],
            Next = next,
            User = ConsoleSignIn.Who(http, options.Value),
        });
    }

    private static async Task<IResult> IncidentAsync(
        string id, string? done, HttpContext http, IIncidentReads store, IEscalationReads escalations, IOptions<EscalationOptions> escalation, TimeProvider time,
        IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var number = incident.Number;
        var first = await store.ListAlertsAsync(number, new AlertQuery(AlertsShown), ct);
        var latest = incident.AlertCount > AlertsShown
            ? (await store.ListAlertsAsync(number, new AlertQuery(Math.Min(AlertsShown, incident.AlertCount - AlertsShown), NewestFirst: true), ct)).Reverse().ToList()
            : [];
        var newest = await store.ListTimelineAsync(number, new TimelineQuery(EntriesShown + 1, NewestFirst: true), ct);
        var timeline = newest.Take(EntriesShown).Reverse().ToList();
        var tasks = await store.GetTasksAsync(number, ct);
        var pages = await store.ListTimelineAsync(number, new TimelineQuery(100, Kinds: Paging), ct);
        var underWay = await escalations.ListPagesUnderWayAsync(number, PagesUnderWayShown + 1, ct);
        var now = time.GetUtcNow();
        return new RazorComponentResult<IncidentPage>(new
        {
            UnderWay = (IReadOnlyList<PendingPageDto>)[.. underWay.Take(PagesUnderWayShown).Select(p => PendingPageDto.From(p, now, escalation.Value.NameOf))],
            MoreUnderWay = underWay.Count > PagesUnderWayShown,
            Incident = incident,
            First = first,
            Latest = latest,
            Timeline = timeline,
            EarlierEntries = newest.Count > EntriesShown,
            Tasks = tasks,
            Pages = pages,
            User = ConsoleSignIn.Who(http, options.Value),
            Message = done,
        });
    }

    /// <summary>An incident's page shows its first and its latest few alerts, and its latest entries (the rest are paged).</summary>
    private const int AlertsShown = 10, EntriesShown = 200;

    /// <summary>An incident's page lists its pages not out yet, the one due longest ago first, up to this many.</summary>
    private const int PagesUnderWayShown = 20;

    /// <summary>An incident's alerts, 50 a page, first seen first or (<c>order=latest</c>) latest first.</summary>
    private static async Task<IResult> AlertsAsync(string id, string? order, string? cursor, HttpContext http, IIncidentReads store, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (IncidentEndpoints.AlertPage(order, cursor, BadPage, out var newest, out var after) is { } problem)
        {
            return problem;
        }

        if (await FindAsync(id, store, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var page = await store.ListAlertsAsync(incident.Number, new AlertQuery(PageSize + 1, after, newest), ct);
        var shown = page.Take(PageSize).ToList();
        var next = page.Count > PageSize
            ? $"/console/incidents/{incident.Key}/alerts?{(newest ? "order=latest&" : "")}cursor={Cursor.Alerts(AlertPosition.Of(shown[^1]), newest)}"
            : null;
        return new RazorComponentResult<AlertsPage>(new { Incident = incident, Alerts = shown, Latest = newest, Continued = after is not null, Next = next, User = ConsoleSignIn.Who(http, options.Value) });
    }

    /// <summary>An incident's whole timeline from its start, <see cref="EntriesShown"/> entries a page.</summary>
    private static async Task<IResult> TimelineAsync(string id, string? cursor, HttpContext http, IIncidentReads store, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        TimelinePosition? after = null;
        if (!string.IsNullOrEmpty(cursor) && !Cursor.TryTimeline(cursor, out after))
        {
            return BadPage(cursor);
        }

        if (await FindAsync(id, store, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var page = await store.ListTimelineAsync(incident.Number, new TimelineQuery(EntriesShown + 1, after), ct);
        var shown = page.Take(EntriesShown).ToList();
        var next = page.Count > EntriesShown ? $"/console/incidents/{incident.Key}/timeline?cursor={Cursor.Timeline(TimelinePosition.Of(shown[^1]))}" : null;
        return new RazorComponentResult<TimelinePage>(new { Incident = incident, Entries = shown, Continued = after is not null, Next = next, User = ConsoleSignIn.Who(http, options.Value) });
    }

    private static IResult BadPage(string cursor) =>
        Results.Problem(statusCode: 400, title: "Bad page", detail: $"cursor '{cursor}' is not one of this page's; follow the page's own Next link.");

    /// <summary>The incident <paramref name="id"/> names (<c>INC-42</c> or <c>42</c>), or null.</summary>
    internal static async Task<Incident?> FindAsync(string id, IIncidentReads store, CancellationToken ct) =>
        Incident.ParseKey(id) is { } number ? await store.GetIncidentAsync(number, ct) : null;

    internal static IResult NoSuchIncident(string id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such incident", detail: $"'{id}' is not an incident here.");

    /// <summary>Who was paged, by whom and when, and how each escalation went: the page's own section.</summary>
    private static readonly TimelineKind[] Paging = [TimelineKind.Page, TimelineKind.Escalation];

    /// <summary>The postmortem draft as it would be written now (the one in the repository is written at resolution).</summary>
    private static async Task<IResult> PostmortemAsync(string id, HttpContext http, IIncidentReads store, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var html = Markdown.ToHtml(await Core.Postmortems.PostmortemRenderer.RenderAsync(incident, store, ct), PostmortemMarkdown);
        return new RazorComponentResult<PostmortemPage>(new { Incident = incident, Html = html, User = ConsoleSignIn.Who(http, options.Value) });
    }

    /// <summary>
    /// CommonMark with GitHub's tables, each line of the draft on its own line; raw HTML in the text (an alert's title, a
    /// note) is shown as text, never markup.
    /// </summary>
    private static readonly MarkdownPipeline PostmortemMarkdown =
        new MarkdownPipelineBuilder().UsePipeTables().UseAutoLinks().UseSoftlineBreakAsHardlineBreak().DisableHtml().Build();

    /// <summary>The last <c>weeks</c> weeks (UTC, Monday to Sunday; 8 by default, at most 52), from the store.</summary>
    private static async Task<IResult> ReportsAsync(
        HttpContext http, string? weeks, Core.Reports.IReportReads store, IOptions<EscalationOptions> escalation, IOptions<ConsoleOptions> options, TimeProvider time, CancellationToken ct)
    {
        var count = 8;
        if (!string.IsNullOrEmpty(weeks) && (!int.TryParse(weeks, out count) || count is < 1 or > 52))
        {
            return Results.Problem(statusCode: 400, title: "Bad range", detail: $"weeks '{weeks}' is not a number of weeks from 1 to 52.");
        }

        var now = time.GetUtcNow();
        var first = Core.Reports.IncidentReport.MondayOf(now).AddDays(-7 * (count - 1));
        var from = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var to = now.AddTicks(1); // up to now, included
        var incidents = await store.ListIncidentFactsAsync(from, to, ct);
        var pages = await store.ListPagesAsync(from, to, ct);
        var hours = options.Value.ParsedWorkingHours;
        var e = escalation.Value;
        var teamsOfPolicy = e.Teams.Keys.SelectMany(team => e.PoliciesPaging(team).Select(policy => (policy, team)))
            .ToLookup(x => x.policy, x => x.team, StringComparer.Ordinal);
        var report = Core.Reports.IncidentReport.Build(incidents, pages, first, count, p => teamsOfPolicy[p], hours);
        return new RazorComponentResult<ReportsPage>(new { Report = report, Hours = hours, Weeks = count, NameOf = (Func<string, string>)e.NameOf, User = ConsoleSignIn.Who(http, options.Value) });
    }

    /// <summary>Each team: who is on call now and next, the next seven days' shifts (overrides from settings and chat).</summary>
    private static async Task<IResult> OnCallAsync(
        string? done, HttpContext http, IOptions<EscalationOptions> escalation, IEscalationReads store, IncidentCommands commands, IOptions<ConsoleOptions> options,
        TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var user = ConsoleSignIn.Who(http, options.Value);
        var teams = new List<OnCallPage.Team>();
        foreach (var (name, team) in escalation.Value.Teams.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var taken = await store.ListOverridesAsync(name, now, ct);
            var week = OnCall.Shifts(team, now, now + TimeSpan.FromDays(7), taken).Select(x => new OnCallPage.Shift(x.Start, x.End, escalation.Value.NameOf(x.User), x.Override)).ToList();
            var current = OnCall.Who(team, now, taken);
            var next = current?.Until is { } until ? OnCall.Who(team, until, taken) : null;
            teams.Add(new OnCallPage.Team(
                name, current is null ? null : escalation.Value.NameOf(current.User), current?.Until, next is null ? null : escalation.Value.NameOf(next.User), week,
                [.. team.Members.Select(m => new OnCallPage.Member(m.Id, escalation.Value.NameOf(m.Id)))]));
        }

        var rules = user.Id is { } person // how the person signed in is paged, as /incident notify says it
            ? Core.Chat.ChatMarkup.Plain((await commands.ExecuteAsync("notify", new CommandContext(new Core.Incidents.Actor(person, user.Name), null), ct)).Text, escalation.Value.NameOf)
            : null;
        return new RazorComponentResult<OnCallPage>(new { Teams = teams, User = user, Message = done, Rules = rules });
    }

    /// <summary>The route tree and policies; with <c>labels</c>, the policies and severity those labels would get.</summary>
    private static IResult RoutesPage(HttpContext http, string? labels, string? severity, IOptions<EscalationOptions> escalation, Escalator escalator, IOptions<ConsoleOptions> options)
    {
        string? result = null;
        var sev = SeverityText.Parse(severity ?? "SEV3") ?? Severity.Sev3;
        if (!string.IsNullOrWhiteSpace(labels))
        {
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var line in labels.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    return Results.Problem(statusCode: 400, title: "Bad labels", detail: $"'{line}' is not name=value.");
                }

                pairs.Add(new(line[..eq].Trim(), line[(eq + 1)..].Trim().Trim('"')));
            }

            var decision = escalator.Route(Core.Alerts.LabelSet.From(pairs), sev);
            result = decision.Policies.Count == 0
                ? "No route names a policy for these labels: nobody would be paged (the incident still opens)."
                : $"Pages {string.Join(", ", decision.Policies)}{(decision.Severity is { } s ? $"; severity set to {s.Display()}" : "")}.";
        }

        return new RazorComponentResult<RoutesPage>(new
        {
            Routes = escalation.Value.Routes,
            Policies = (IReadOnlyDictionary<string, PolicyOptions>)escalation.Value.EscalationPolicies,
            Labels = labels ?? "",
            Severity = sev.Display(),
            Result = result,
            User = ConsoleSignIn.Who(http, options.Value),
        });
    }

    /// <summary>Why a console form's post is refused before it is read (no valid antiforgery token, not a form), or null.</summary>
    private static IResult? FormRefused(HttpContext http)
    {
        if (http.Features.Get<Microsoft.AspNetCore.Antiforgery.IAntiforgeryValidationFeature>() is not { IsValid: true })
        {
            // A form without its token (or another session's): a cross-site post, or a page left open too long.
            return Results.Problem(statusCode: 400, title: "Form expired or forged", detail: "The form's antiforgery token is missing or wrong; reload the page and try again. Nothing was done.");
        }

        return http.Request.HasFormContentType
            ? null
            : Results.Problem(statusCode: 415, title: "Unsupported media type", detail: "The console's forms post application/x-www-form-urlencoded.");
    }

    /// <summary>A viewer's refusal: they read the console, and act on nothing.</summary>
    private static IResult ViewerRefused(ConsoleUser user) =>
        Results.Problem(statusCode: 403, title: "Viewers cannot act", detail: $"{user.Name} may read the console (Console:Oidc:ViewerDomains) but is not a person of this bot; add their e-mail as People:<chat user id>:Email to let them act. Nothing was done.");

    /// <summary>"Send me a test page" on the on-call page: <c>/incident notify test</c> as the person signed in.</summary>
    private static async Task<IResult> TestPageAsync(
        HttpContext http, IncidentCommands commands, IOptions<EscalationOptions> escalation, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (await PersonsFormAsync(http, options.Value, ct) is not { } posted)
        {
            return Refusal(http, options.Value);
        }

        return BackToOnCall(await commands.ExecuteAsync("notify test", posted.Context, ct), escalation.Value);
    }

    /// <summary>A form posted by a person of the bot: what it holds, and the command context of the person (their name, "(console)").</summary>
    private sealed record PersonsForm(IFormCollection Form, CommandContext Context);

    /// <summary>The form a person of the bot posted, or null when it is refused (<see cref="Refusal"/> says why).</summary>
    private static async Task<PersonsForm?> PersonsFormAsync(HttpContext http, ConsoleOptions options, CancellationToken ct)
    {
        var user = ConsoleSignIn.Who(http, options);
        return FormRefused(http) is null && user.Id is { } person
            ? new PersonsForm(await http.Request.ReadFormAsync(ct), new CommandContext(new Core.Incidents.Actor(person, $"{user.Name} (console)"), null))
            : null;
    }

    /// <summary>Why a form was refused: not a good form (<see cref="FormRefused"/>), else posted by a viewer.</summary>
    private static IResult Refusal(HttpContext http, ConsoleOptions options) => FormRefused(http) ?? ViewerRefused(ConsoleSignIn.Who(http, options));

    /// <summary>The on-call page again, saying what the command answered.</summary>
    private static RedirectHttpResult BackToOnCall(CommandReply reply, EscalationOptions escalation) =>
        TypedResults.Redirect($"/console/oncall?done={Said(reply, escalation)}", permanent: false, preserveMethod: false);

    /// <summary>A command's answer for the page it returns to (its <c>done</c>), people by their names.</summary>
    private static string Said(CommandReply reply, EscalationOptions escalation) => Uri.EscapeDataString(Core.Chat.ChatMarkup.Plain(reply.Text, escalation.NameOf));

    /// <summary>
    /// "Take the shift" on the on-call page: <c>/incident oncall override @who &lt;for&gt; &lt;team&gt;</c> as the person
    /// signed in, for themselves or a teammate (the command checks that they are in the team). The form offers the team's
    /// members and set lengths; anything else is refused before the command, nothing done.
    /// </summary>
    private static async Task<IResult> OverrideAsync(
        HttpContext http, IncidentCommands commands, IOptions<EscalationOptions> escalation, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (await PersonsFormAsync(http, options.Value, ct) is not { } posted)
        {
            return Refusal(http, options.Value);
        }

        var (name, who, length) = (posted.Form["team"].ToString(), posted.Form["who"].ToString(), posted.Form["for"].ToString());
        if (!escalation.Value.Teams.TryGetValue(name, out var team))
        {
            return Results.Problem(statusCode: 400, title: "No such team", detail: $"No team is named '{name}'. Nothing was done.");
        }

        if (!team.Members.Any(m => m.Id == who))
        {
            return Results.Problem(statusCode: 400, title: "Not a member", detail: $"'{who}' is not a member of {name}; a shift is taken by one of its members. Nothing was done.");
        }

        if (!OnCall.IsShiftLength(length))
        {
            return Results.Problem(statusCode: 400, title: "Bad length", detail: $"'{length}' is not one of {string.Join(", ", OnCall.ShiftLengths.Select(l => l.Value))}. Nothing was done.");
        }

        return BackToOnCall(await commands.ExecuteAsync($"oncall override {Core.Chat.ChatMarkup.User(who)} {length} {name}", posted.Context, ct), escalation.Value);
    }

    /// <summary>
    /// "Change how I am paged" on the on-call page: <c>/incident notify &lt;rules&gt;</c> for every incident's field and
    /// <c>/incident notify important &lt;rules&gt;</c> for SEV1-2's, each given, as the person signed in; an empty field
    /// keeps its rules. A refusal (a channel the bot has no address for) is said at the top, with what was saved before it.
    /// </summary>
    private static async Task<IResult> RulesAsync(
        HttpContext http, IncidentCommands commands, IOptions<EscalationOptions> escalation, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (await PersonsFormAsync(http, options.Value, ct) is not { } posted)
        {
            return Refusal(http, options.Value);
        }

        var asked = RulesForm.Commands(posted.Form[RulesForm.Everyday], posted.Form[RulesForm.Important]);
        if (asked.Count == 0)
        {
            return Results.Problem(statusCode: 400, title: "No rules", detail: "Give the rules to change (e.g. chat, sms 2m, email 5m) in either field. Nothing was done.");
        }

        return BackToOnCall((await RulesForm.SaveAsync(commands, asked, posted.Context, ct)).Reply, escalation.Value);
    }

    private static async Task<IResult> ActAsync(
        string id, HttpContext http, IncidentCommands commands, IOptions<EscalationOptions> escalation, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (FormRefused(http) is { } refused)
        {
            return refused;
        }

        var form = await http.Request.ReadFormAsync(ct);
        var (text, note) = (form["text"].ToString(), form["note"].ToString());
        if (Incident.ParseKey(id) is not { } number)
        {
            return NoSuchIncident(id);
        }

        // Each button is a slash command's words, so the form means what /incident means, checked by the same parser.
        var command = text switch
        {
            "ack" or "mitigated" or "reopen" => text,
            "note" => $"note {note}",
            "resolve" => string.IsNullOrWhiteSpace(note) ? "resolve" : $"resolve {note}",
            "status" => $"status {form["progress"]}",
            "sev" => $"sev {form["severity"]}",
            _ => null,
        };
        if (command is null)
        {
            return Results.Problem(statusCode: 400, title: "Unknown action", detail: $"'{text}' is not ack, mitigated, note, resolve, status, sev or reopen.");
        }

        var user = ConsoleSignIn.Who(http, options.Value);
        if (user.Id is not { } author)
        {
            return ViewerRefused(user);
        }

        var reply = await commands.ExecuteAsync(command, new CommandContext(new Core.Incidents.Actor(author, $"{user.Name} (console)"), number), ct);
        return Results.Redirect($"/console/incidents/{Incident.FormatKey(number)}?done={Said(reply, escalation.Value)}", permanent: false, preserveMethod: false);
    }

    /// <summary>
    /// The console's one script, for what a server-rendered page cannot do: follow the timeline live (server-sent
    /// events; text is set as text, never as markup) and show each time in the viewer's own zone beside UTC. Without it
    /// every page still works.
    /// </summary>
    private const string Script = """
        "use strict";
        const two = (n) => String(n).padStart(2, "0");
        function localTimes(root) {
          for (const t of root.querySelectorAll("time[datetime]")) {
            if (t.dataset.local) continue;
            const d = new Date(t.dateTime);
            if (isNaN(d) || d.getTimezoneOffset() === 0) continue;
            const s = document.createElement("span");
            s.className = "local";
            const time = two(d.getHours()) + ":" + two(d.getMinutes());
            const day = d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
            s.textContent = " (" + (t.textContent.length > 5 ? day + " " : "") + time + " your time)";
            t.dataset.local = "1";
            t.after(s);
          }
        }
        localTimes(document);
        const list = document.querySelector("ol.timeline[data-live]");
        if (list && window.EventSource) {
          const source = new EventSource(list.dataset.live);
          source.addEventListener("entry", (e) => {
            const x = JSON.parse(e.data);
            if (list.querySelector('li[data-id="' + Number(x.id) + '"]')) return;
            const li = document.createElement("li");
            li.dataset.id = String(Number(x.id));
            const t = document.createElement("time");
            t.dateTime = x.at;
            t.textContent = x.time;
            const a = document.createElement("span");
            a.className = "author";
            a.textContent = x.author;
            li.append(t, " ", a, " ", x.text);
            const later = Array.from(list.children).find((n) => n.querySelector("time").dateTime > x.at);
            list.insertBefore(li, later || null);
            localTimes(li);
          });
          source.addEventListener("incident", (e) => {
            const x = JSON.parse(e.data);
            for (const k of ["status", "severity", "lead", "progress", "alerts"]) {
              const f = document.querySelector('[data-field="' + k + '"]');
              if (f) f.textContent = x[k];
            }
          });
        }
        """;

    private const string Css = """
        body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
        header { padding: .5rem 1rem; border-bottom: 1px solid #ccc; display: flex; flex-wrap: wrap; gap: 0 1rem; }
        header .who { margin-left: auto; color: #555; }
        main { padding: 1rem; max-width: 72rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
        .sev { font-weight: bold; border: 1px solid; padding: 0 .25rem; }
        .sev1 { color: #a00; } .sev2 { color: #a50; }
        .filters { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: center; } .filters a[aria-current] { font-weight: bold; text-decoration: none; }
        .message { border-left: 4px solid #06c; padding: .25rem .75rem; background: #eef5ff; }
        .held { border-left: 4px solid #a00; padding: .25rem .75rem; background: #fff0f0; }
        ul.underway [data-stage=failing] { color: #a00; }
        dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        form { margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        input, textarea { min-width: 16rem; max-width: 100%; }
        ul.routes { list-style: none; padding-left: 1.25rem; border-left: 2px solid #ddd; }
        ul.alerts .labels { color: #555; overflow-wrap: anywhere; }
        ol.timeline { padding-left: 1.25rem; } ol.timeline .author, .local { color: #555; }
        a:focus, button:focus, input:focus { outline: 3px solid #06c; outline-offset: 2px; }
        @media (max-width: 40rem) { table, thead, tbody, tr, td, th { display: block; } thead { display: none; } td { border: 0; } tr { border-bottom: 1px solid #ccc; } }
        """;
}

/// <summary>The <c>Console</c> section.</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>The chat user id the console acts as on this machine (commands' author and permissions). Default <c>local</c>.</summary>
    public string LocalUser { get; set; } = "local";

    public string LocalUserName { get; set; } = "local operator";

    /// <summary>OpenID Connect sign-in; off (this machine only) while its <c>Authority</c> is not set.</summary>
    public ConsoleOidcOptions Oidc { get; set; } = new();

    /// <summary>How often a live incident page reads the store for new entries. Default 2 s.</summary>
    public TimeSpan LiveInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many incident pages may be followed live at once (each reads the store every interval). Default 200.</summary>
    public int LiveStreams { get; set; } = 200;

    /// <summary>
    /// How long a page (SMS, call, e-mail, chat, an outgoing webhook) or the bot's timer may wait undone before every
    /// console page says so (<see cref="HeldWork"/>). Default 1 min, as the alert rule <c>IncidentBotPagesHeld</c>.
    /// </summary>
    public TimeSpan HeldPagesAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Likewise for channels, messages, summaries and GitHub work. Default 15 min, as <c>IncidentBotEffectsHeld</c>.</summary>
    public TimeSpan HeldWorkAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The reports' time zone (IANA) for working hours. Default UTC.</summary>
    public string? ReportTimeZone { get; set; }

    /// <summary>When people work, for the reports' "out of hours" pages. Default <c>Mon-Fri 09:00-18:00</c>.</summary>
    public string? WorkingHours { get; set; }

    public bool SignInConfigured => !string.IsNullOrWhiteSpace(Oidc.Authority);

    /// <summary><see cref="WorkingHours"/> in <see cref="ReportTimeZone"/>, read once (the validator checked them at start).</summary>
    public Core.Reports.WorkingHours ParsedWorkingHours =>
        _workingHours ??= Core.Reports.WorkingHours.Parse(WorkingHours, ReportTimeZone) is { Hours: { } hours } ? hours
            : throw new InvalidOperationException("Console:WorkingHours was not checked at start.");

    private Core.Reports.WorkingHours? _workingHours;
}
