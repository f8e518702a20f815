using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Bot.Tests.Shared;

/// <summary>
/// A stand-in for GitHub's REST API on 127.0.0.1 with one repository: issues, git refs, contents and pull requests,
/// answering like GitHub (status codes, 404 and 422 bodies, rate-limit headers). Bodies are read as JSON whatever the
/// Content-Type says (Octokit sends JSON as form-urlencoded). It records every request and can be told to fail, or to
/// do the work and then answer too late (a timeout after GitHub received the request).
/// </summary>
public sealed class FakeGitHub : IAsyncDisposable
{
    public const string Token = "ghp_test_token";
    public const string Owner = "acme";
    public const string Repo = "infra";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Route, Func<HttpResponse, Task> Answer)> _failures = new();
    private readonly ConcurrentQueue<(string Route, TimeSpan Delay)> _slow = new();
    private readonly object _gate = new();
    private int _commit = 1;

    private FakeGitHub(WebApplication app) => _app = app;

    public Uri ApiBaseUrl { get; private set; } = null!;

    public ConcurrentQueue<Request> Requests { get; } = new();

    public List<JsonObject> Issues { get; } = [];

    public List<JsonObject> Pulls { get; } = [];

    /// <summary>Branch name to commit sha.</summary>
    public Dictionary<string, string> Branches { get; } = new() { ["main"] = "sha-main-0" };

    /// <summary>(branch, path) to (content, blob sha), and every commit made, in order.</summary>
    public Dictionary<(string Branch, string Path), (string Content, string Sha)> Files { get; } = [];

    public List<string> Commits { get; } = [];

    public sealed record Request(string Method, string Path, string? Authorization, string? UserAgent, string Body);

    /// <summary>Routes: "POST issues", "GET issues", "GET issue", "GET repo", "GET ref", "POST refs", "GET contents", "PUT contents", "GET pulls", "POST pulls".</summary>
    public static async Task<FakeGitHub> StartAsync(string prefix = "/")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeGitHub(app);
        var repo = $"{prefix.TrimEnd('/')}/repos/{Owner}/{Repo}";
        app.MapGet(repo, c => fake.Run(c, "GET repo", fake.GetRepo));
        app.MapGet($"{repo}/issues", c => fake.Run(c, "GET issues", fake.ListIssues));
        app.MapPost($"{repo}/issues", c => fake.Run(c, "POST issues", fake.CreateIssue));
        app.MapGet($"{repo}/issues/{{number:int}}", c => fake.Run(c, "GET issue", fake.GetIssue));
        app.MapGet($"{repo}/git/refs/heads/{{**branch}}", c => fake.Run(c, "GET ref", fake.GetRef));
        app.MapGet($"{repo}/git/ref/heads/{{**branch}}", c => fake.Run(c, "GET ref", fake.GetRef));
        app.MapPost($"{repo}/git/refs", c => fake.Run(c, "POST refs", fake.CreateRef));
        app.MapGet($"{repo}/contents/{{**path}}", c => fake.Run(c, "GET contents", fake.GetContents));
        app.MapPut($"{repo}/contents/{{**path}}", c => fake.Run(c, "PUT contents", fake.PutContents));
        app.MapGet($"{repo}/pulls", c => fake.Run(c, "GET pulls", fake.ListPulls));
        app.MapPost($"{repo}/pulls", c => fake.Run(c, "POST pulls", fake.CreatePull));
        app.MapFallback(c => fake.Run(c, "other", (_, _) => Error(404, "Not Found")));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        fake.ApiBaseUrl = new Uri(address + prefix);
        return fake;
    }

    public string Url(string path) => $"https://github.test/{Owner}/{Repo}/{path}";

    public int Count(string method, string pathEnd) => Requests.Count(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal));

    /// <summary>The next <paramref name="times"/> requests to <paramref name="route"/> answer <paramref name="status"/> with the headers.</summary>
    public void Fail(string route, int status, int times = 1, params (string Name, string Value)[] headers)
    {
        for (var i = 0; i < times; i++)
        {
            _failures.Enqueue((route, async r =>
            {
                foreach (var (name, value) in headers)
                {
                    r.Headers[name] = value;
                }

                var result = Error(status, status switch { 401 => "Bad credentials", 403 => "You have exceeded a secondary rate limit.", 404 => "Not Found", _ => "Server Error" });
                await result.ExecuteAsync(r.HttpContext);
            }));
        }
    }

    /// <summary>The next request to <paramref name="route"/> is carried out, and answered only after <paramref name="delay"/>.</summary>
    public void AnswerLate(string route, TimeSpan delay) => _slow.Enqueue((route, delay));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task Run(HttpContext c, string route, Func<HttpContext, JsonObject?, IResult> handle)
    {
        c.Request.EnableBuffering();
        var body = await new StreamReader(c.Request.Body, Encoding.UTF8).ReadToEndAsync();
        Requests.Enqueue(new Request(c.Request.Method, c.Request.Path + c.Request.QueryString, c.Request.Headers.Authorization.ToString(), c.Request.Headers.UserAgent.ToString(), body));
        if (c.Request.Headers.Authorization != $"Token {Token}" && c.Request.Headers.Authorization != $"Bearer {Token}")
        {
            await Error(401, "Bad credentials").ExecuteAsync(c);
            return;
        }

        if (_failures.TryPeek(out var failure) && failure.Route == route && _failures.TryDequeue(out failure))
        {
            await failure.Answer(c.Response);
            return;
        }

        IResult result;
        lock (_gate)
        {
            result = handle(c, body.Length == 0 ? null : JsonNode.Parse(body) as JsonObject);
        }

        if (_slow.TryPeek(out var slow) && slow.Route == route && _slow.TryDequeue(out slow))
        {
            try
            {
                await Task.Delay(slow.Delay, c.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up; the work is done all the same
            }
        }

        await result.ExecuteAsync(c);
    }

    private static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["message"] = message, ["documentation_url"] = "https://docs.github.com/rest" }, statusCode: status);

    private static JsonObject User(string login) => new() { ["login"] = login, ["id"] = 1, ["type"] = "User" };

    private IResult GetRepo(HttpContext c, JsonObject? body) => Results.Json(new JsonObject
    {
        ["id"] = 1, ["name"] = Repo, ["full_name"] = $"{Owner}/{Repo}", ["default_branch"] = "main", ["html_url"] = Url(""), ["owner"] = User(Owner),
    });

    private IResult ListIssues(HttpContext c, JsonObject? body)
    {
        var labels = c.Request.Query["labels"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
        var state = c.Request.Query["state"].ToString() is { Length: > 0 } s ? s : "open";
        var found = Issues.Where(i => (state == "all" || (string)i["state"]! == state) &&
                                      labels.All(l => i["labels"]!.AsArray().Any(x => (string)x!["name"]! == l)));
        return Results.Json(new JsonArray(found.Select(i => i.DeepClone()).ToArray()));
    }

    private IResult CreateIssue(HttpContext c, JsonObject? body)
    {
        if (body?["title"] is null)
        {
            return Results.Json(new JsonObject { ["message"] = "Validation Failed", ["errors"] = new JsonArray(new JsonObject { ["resource"] = "Issue", ["field"] = "title", ["code"] = "missing_field" }) }, statusCode: 422);
        }

        var assignees = body["assignees"]?.AsArray().Select(a => (string)a!).ToList() ?? [];
        if (assignees.Any(a => a.StartsWith("ghost", StringComparison.Ordinal)))
        {
            return Results.Json(new JsonObject { ["message"] = "Validation Failed", ["errors"] = new JsonArray(new JsonObject { ["resource"] = "Issue", ["field"] = "assignees", ["code"] = "invalid" }) }, statusCode: 422);
        }

        var number = Issues.Count + Pulls.Count + 1;
        var issue = new JsonObject
        {
            ["id"] = number, ["number"] = number, ["title"] = body["title"]!.DeepClone(), ["body"] = body["body"]?.DeepClone(), ["state"] = "open",
            ["html_url"] = Url($"issues/{number}"), ["url"] = $"{ApiBaseUrl}repos/{Owner}/{Repo}/issues/{number}", ["user"] = User("incident-bot"),
            ["labels"] = new JsonArray((body["labels"]?.AsArray().Select(l => (JsonNode)new JsonObject { ["name"] = (string)l! }) ?? []).ToArray()),
            ["assignees"] = new JsonArray(assignees.Select(a => (JsonNode)User(a)).ToArray()),
            ["created_at"] = "2023-08-05T15:00:00Z", ["updated_at"] = "2023-08-05T15:00:00Z",
        };
        Issues.Add(issue);
        return Results.Json(issue, statusCode: 201);
    }

    private IResult GetIssue(HttpContext c, JsonObject? body)
    {
        var number = int.Parse((string)c.Request.RouteValues["number"]!, System.Globalization.CultureInfo.InvariantCulture);
        return Issues.FirstOrDefault(i => (int)i["number"]! == number) is { } issue ? Results.Json(issue) : Error(404, "Not Found");
    }

    private static JsonObject Ref(string branch, string sha) => new()
    {
        ["ref"] = $"refs/heads/{branch}", ["node_id"] = "x", ["url"] = "x", ["object"] = new JsonObject { ["sha"] = sha, ["type"] = "commit", ["url"] = "x" },
    };

    private IResult GetRef(HttpContext c, JsonObject? body)
    {
        var branch = (string)c.Request.RouteValues["branch"]!;
        return Branches.TryGetValue(branch, out var sha) ? Results.Json(Ref(branch, sha)) : Error(404, "Not Found");
    }

    private IResult CreateRef(HttpContext c, JsonObject? body)
    {
        var name = ((string?)body?["ref"] ?? "").Replace("refs/heads/", "", StringComparison.Ordinal);
        if (Branches.ContainsKey(name))
        {
            return Results.Json(new JsonObject { ["message"] = "Reference already exists" }, statusCode: 422);
        }

        Branches[name] = (string)body!["sha"]!;
        foreach (var file in Files.Where(f => f.Key.Branch == "main").ToList())
        {
            Files[(name, file.Key.Path)] = file.Value;
        }

        return Results.Json(Ref(name, Branches[name]), statusCode: 201);
    }

    private static string BranchOf(HttpContext c, JsonObject? body) =>
        (string?)body?["branch"] ?? (c.Request.Query["ref"].ToString() is { Length: > 0 } r ? r : "main");

    private IResult GetContents(HttpContext c, JsonObject? body)
    {
        var path = (string)c.Request.RouteValues["path"]!;
        if (!Files.TryGetValue((BranchOf(c, body), path), out var file))
        {
            return Error(404, "Not Found");
        }

        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(file.Content));
        var wrapped = string.Join("\n", base64.Chunk(60).Select(ch => new string(ch))) + "\n"; // GitHub wraps at 60
        return Results.Json(new JsonObject
        {
            ["type"] = "file", ["encoding"] = "base64", ["size"] = file.Content.Length, ["name"] = Path.GetFileName(path), ["path"] = path,
            ["content"] = wrapped, ["sha"] = file.Sha, ["url"] = "x", ["html_url"] = Url($"blob/x/{path}"), ["download_url"] = "x",
        });
    }

    private IResult PutContents(HttpContext c, JsonObject? body)
    {
        var path = (string)c.Request.RouteValues["path"]!;
        var branch = BranchOf(c, body);
        if (!Branches.ContainsKey(branch))
        {
            return Error(404, $"Branch {branch} not found");
        }

        var exists = Files.TryGetValue((branch, path), out var current);
        var sha = (string?)body?["sha"];
        if (exists && sha != current.Sha)
        {
            return Results.Json(new JsonObject { ["message"] = exists && sha is null ? "Invalid request.\n\n\"sha\" wasn't supplied." : $"{path} does not match {sha}" }, statusCode: exists && sha is null ? 422 : 409);
        }

        var content = Encoding.UTF8.GetString(Convert.FromBase64String((string)body!["content"]!));
        var blob = $"blob-{_commit}";
        var commit = $"sha-{branch}-{_commit++}";
        Files[(branch, path)] = (content, blob);
        Branches[branch] = commit;
        Commits.Add($"{branch}: {(string?)body["message"]}");
        return Results.Json(
            new JsonObject
            {
                ["content"] = new JsonObject { ["name"] = Path.GetFileName(path), ["path"] = path, ["sha"] = blob, ["type"] = "file" },
                ["commit"] = new JsonObject { ["sha"] = commit, ["message"] = body["message"]?.DeepClone() },
            },
            statusCode: exists ? 200 : 201);
    }

    private IResult ListPulls(HttpContext c, JsonObject? body)
    {
        var head = c.Request.Query["head"].ToString();
        var state = c.Request.Query["state"].ToString() is { Length: > 0 } s ? s : "open";
        var found = Pulls.Where(p => (state == "all" || (string)p["state"]! == state) && (head.Length == 0 || $"{Owner}:{(string)p["head"]!["ref"]!}" == head));
        return Results.Json(new JsonArray(found.Select(p => p.DeepClone()).ToArray()));
    }

    private IResult CreatePull(HttpContext c, JsonObject? body)
    {
        var head = (string?)body?["head"];
        var @base = (string?)body?["base"];
        if (head is null || !Branches.ContainsKey(head) || @base is null || !Branches.ContainsKey(@base))
        {
            return Results.Json(new JsonObject { ["message"] = "Validation Failed", ["errors"] = new JsonArray(new JsonObject { ["resource"] = "PullRequest", ["field"] = "head", ["code"] = "invalid" }) }, statusCode: 422);
        }

        if (Pulls.Any(p => (string)p["state"]! == "open" && (string)p["head"]!["ref"]! == head))
        {
            return Results.Json(new JsonObject { ["message"] = "Validation Failed", ["errors"] = new JsonArray(new JsonObject { ["resource"] = "PullRequest", ["code"] = "custom", ["message"] = $"A pull request already exists for {Owner}:{head}." }) }, statusCode: 422);
        }

        var number = Issues.Count + Pulls.Count + 1;
        var pull = new JsonObject
        {
            ["id"] = number, ["number"] = number, ["state"] = "open", ["title"] = body!["title"]?.DeepClone(), ["body"] = body["body"]?.DeepClone(),
            ["html_url"] = Url($"pull/{number}"), ["user"] = User("incident-bot"),
            ["head"] = new JsonObject { ["ref"] = head, ["sha"] = Branches[head], ["label"] = $"{Owner}:{head}" },
            ["base"] = new JsonObject { ["ref"] = @base, ["sha"] = Branches[@base], ["label"] = $"{Owner}:{@base}" },
        };
        Pulls.Add(pull);
        return Results.Json(pull, statusCode: 201);
    }
}
