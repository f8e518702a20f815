using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using static Bot.Acceptance.Tests.Yaml;

namespace Bot.Acceptance.Tests.Manifests;

/// <summary>
/// manifests/kubernetes, manifests/container and manifests/alertmanager agree with the bot: the probes are paths it
/// serves, the ports are the one it listens on, every environment variable is a setting it reads, and the container
/// builds every project and runs as a user that is not root.
/// </summary>
public class DeploymentManifestTests
{
    private static readonly string[] Files = ["configmap.yaml", "deployment.yaml", "service.yaml", "pdb.yaml", "secret.example.yaml"];

    private static YamlMappingNode K8s(string file) => Load($"manifests/kubernetes/{file}").Single();

    private static YamlNode Container => Items(K8s("deployment.yaml"), "spec", "template", "spec", "containers").Single();

    /// <summary>Every setting key appsettings.example.json documents, as <c>Section:Key</c>.</summary>
    private static HashSet<string> DocumentedSettings()
    {
        var example = JsonDocument.Parse(File.ReadAllText(RepoFile.Path("appsettings.example.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Walk(JsonElement e, string prefix)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    Walk(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}:{p.Name}");
                }
            }
            else
            {
                keys.Add(prefix);
            }
        }

        Walk(example.RootElement, "");
        return keys;
    }

    private static Dictionary<string, string> ConfigMap() =>
        Keys(At(K8s("configmap.yaml"), "data")).ToDictionary(k => k, k => Text(K8s("configmap.yaml"), "data", k));

    private static Dictionary<string, string> SecretExample() =>
        Keys(At(K8s("secret.example.yaml"), "stringData")).ToDictionary(k => k, k => Text(K8s("secret.example.yaml"), "stringData", k));

    /// <summary>Where the Deployment mounts the Secret's files.</summary>
    private static string SecretMount() =>
        Text(Items(Container, "volumeMounts").Single(m => Text(m, "name") == "secrets"), "mountPath");

    /// <summary>
    /// The ConfigMap as the pod's environment, and the example Secret's files where the Deployment mounts them, moved
    /// under <paramref name="root"/> (the mount path as given stays in every *File setting, under that root).
    /// </summary>
    private static Dictionary<string, string> Pod(string root, Func<string, string, string>? content = null)
    {
        var mount = Path.Combine(root, SecretMount().TrimStart('/'));
        Directory.CreateDirectory(mount);
        foreach (var (key, value) in SecretExample())
        {
            File.WriteAllText(Path.Combine(mount, key), content?.Invoke(key, value) ?? value);
        }

        return ConfigMap().ToDictionary(e => e.Key, e => e.Key.EndsWith("File", StringComparison.Ordinal) ? root + e.Value : e.Value);
    }

    [Fact]
    public void EnvironmentVariables_AreSettingsTheBotReads()
    {
        var documented = DocumentedSettings();
        var names = Keys(At(K8s("configmap.yaml"), "data")).Where(n => n != "ASPNETCORE_URLS").ToList();

        Assert.NotEmpty(names);
        Assert.DoesNotContain(Container is YamlMappingNode c ? c.Children.Keys.Select(k => k.ToString()) : [], k => k == "env"); // secrets are files, not variables
        Assert.All(names, n =>
        {
            var key = Regex.Replace(n.Replace("__", ":"), @":\d+$", ""); // a list's item is its list's setting
            var secret = key.EndsWith("File", StringComparison.Ordinal) && Bot.Composition.SecretFiles.SecretNames.Contains(key[(key.LastIndexOf(':') + 1)..^4]);
            Assert.True(documented.Contains(secret ? key[..^4] : key), $"{n} is not a setting the bot reads (appsettings.example.json)");
        });
    }

    [Fact]
    public void SecretFiles_AreTheSecretsKeys_MountedWhereTheSettingsLook()
    {
        var secretKeys = SecretExample().Keys.ToHashSet();
        var files = ConfigMap().Where(e => e.Key.EndsWith("File", StringComparison.Ordinal)).Select(e => e.Value).ToList();
        var volume = Items(K8s("deployment.yaml"), "spec", "template", "spec", "volumes").Single(v => Text(v, "name") == "secrets");

        Assert.Equal(Text(K8s("secret.example.yaml"), "metadata", "name"), Text(volume, "secret", "secretName"));
        Assert.All(files, f => Assert.Equal(SecretMount(), Path.GetDirectoryName(f)));
        Assert.Equal(secretKeys.Order(), files.Select(Path.GetFileName).Order()); // every secret is read, and only secrets are
        Assert.Contains("storage-connection-string", secretKeys); // the password stays out of the ConfigMap
    }

    [Fact]
    public async Task TheShippedConfigMapAndExampleSecret_PassTheBotsOwnCheck()
    {
        // The finding: GitHub__PostmortemPath "postmortems" stopped every pod at start. `check` reads the settings as the
        // pod's start does, 0.0.0.0 and AllowedHosts included, without a database to reach.
        var root = Path.Combine(Path.GetTempPath(), "bot-manifests", Guid.NewGuid().ToString("n"));
        try
        {
            var (code, output, errors) = await BotAppTests.RunBotAsync(Pod(root), "check");

            Assert.True(errors == "", errors); // the message, when there is one
            Assert.Equal((0, "incident-bot: the settings are valid."), (code, output.Trim()));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task TheShippedSettings_StartTheBot_WhichRefusesAnonymousCallers()
    {
        var postgres = PostgresServer.Shared;
        var connection = postgres.CreateSchema();
        var root = Path.Combine(Path.GetTempPath(), "bot-manifests", Guid.NewGuid().ToString("n"));
        try
        {
            // Exactly the shipped ConfigMap and example Secret, but for the database they name: the tests' own.
            var environment = Pod(root, (key, value) => key == "storage-connection-string" ? connection : value);
            await using var bot = await BotProcess.StartWithEnvironmentAsync(environment, "localhost");
            using var client = new HttpClient { BaseAddress = bot.Address };
            HttpRequestMessage Request(HttpMethod method, string path, string? token = null, string? body = null)
            {
                var request = new HttpRequestMessage(method, path) { Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
                request.Headers.Host = "incident-bot"; // the Service's name
                if (token is not null)
                {
                    request.Headers.Authorization = new("Bearer", token);
                }

                return request;
            }

            var anonymous = await client.SendAsync(Request(HttpMethod.Post, "/webhooks/alertmanager", body: Fixture.Text("alertmanager/v4-firing.json")));
            var withToken = await client.SendAsync(Request(HttpMethod.Post, "/webhooks/alertmanager", SecretExample()["webhook-alertmanager-token"], Fixture.Text("alertmanager/v4-firing.json")));
            var api = await client.SendAsync(Request(HttpMethod.Get, "/api/incidents"));
            var generic = await client.SendAsync(Request(HttpMethod.Post, "/webhooks/generic", SecretExample()["webhook-alertmanager-token"], """{"title":"x"}"""));

            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, generic.StatusCode); // turned off
        }
        finally
        {
            postgres.DropSchema(connection);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Ports_AreTheOneTheBotListensOn_Everywhere()
    {
        var listens = new Uri(Text(K8s("configmap.yaml"), "data", "ASPNETCORE_URLS")).Port;
        var port = Items(Container, "ports").Single();
        Assert.Equal(listens, int.Parse(Text(port, "containerPort")));

        var service = Items(K8s("service.yaml"), "spec", "ports").Single();
        Assert.Equal(Text(port, "name"), Text(service, "targetPort"));
        var dockerfile = File.ReadAllText(RepoFile.Path("manifests/container/Dockerfile"));
        Assert.Contains($"EXPOSE {listens}", dockerfile);
        Assert.Contains($"ASPNETCORE_URLS=http://0.0.0.0:{listens}", dockerfile);

        // Alertmanager posts to the Service, on a source the bot has by default.
        var alertmanager = Items(Load("manifests/alertmanager/alertmanager.yml").Single(), "receivers").Single();
        var receiver = new Uri(Text(Items(alertmanager, "webhook_configs").Single(), "url"));
        Assert.Equal(Text(K8s("service.yaml"), "metadata", "name"), receiver.Host);
        Assert.Equal(int.Parse(Text(service, "port")), receiver.Port);
        Assert.Equal("/webhooks/alertmanager", receiver.AbsolutePath);

        // A group's webhook stays within what the bot takes by default (AnAlertmanagerGroupOf10000Alerts_IsTakenWhole):
        // past it, Alertmanager's webhooks would be refused at every interval.
        Assert.InRange(int.Parse(Text(Items(alertmanager, "webhook_configs").Single(), "max_alerts")), 1, 10_000);
    }

    /// <summary>
    /// The runtime settings the built host carries (Bot.runtimeconfig.json, beside Bot.dll and in the image): workstation
    /// GC, and thread-pool threads that sleep when idle instead of spinning, which took CPU from the store's writer and
    /// the database on small machines (docs/benchmarks.md).
    /// </summary>
    [Fact]
    public void TheBuiltHost_RunsWithWorkstationGc_AndThreadsThatDoNotSpinWhenIdle()
    {
        var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(Bot.Tests.Shared.BotProcess.BuiltBot, ".runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }

    [Fact]
    public async Task Probes_ArePathsTheBotServes()
    {
        var probes = new[] { "livenessProbe", "readinessProbe", "startupProbe" }.Select(p => Text(Container, p, "httpGet", "path")).ToList();
        var hosts = ConfigMap()["AllowedHosts"].Split(';');
        Assert.All(new[] { "livenessProbe", "readinessProbe", "startupProbe" }, p =>
            Assert.Contains(Text(Items(Container, p, "httpGet", "httpHeaders").Single(), "value"), hosts)); // else the probes get 400
        Assert.Equal("/healthz", probes[0]);
        Assert.Equal("/readyz", probes[1]);
        Assert.All(new[] { "livenessProbe", "readinessProbe", "startupProbe" }, p => Assert.Equal(Text(Items(Container, "ports").Single(), "name"), Text(Container, p, "httpGet", "port")));

        await using var bot = await BotServer.StartAsync();
        foreach (var path in probes)
        {
            Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync(path)).StatusCode);
        }
    }

    [Fact]
    public void Deployment_RunsTwoHardenedReplicas_WithRoomToFinishJobsOnStop()
    {
        var deployment = K8s("deployment.yaml");
        var pod = At(deployment, "spec", "template", "spec");
        Assert.Equal("2", Text(deployment, "spec", "replicas"));
        Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));
        Assert.NotEqual("0", Text(pod, "securityContext", "runAsUser"));
        Assert.Equal("true", Text(Container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("false", Text(Container, "securityContext", "allowPrivilegeEscalation"));
        foreach (var kind in new[] { "requests", "limits" })
        {
            Assert.True(Has(At(Container, "resources", kind), "cpu") && Has(At(Container, "resources", kind), "memory"), kind);
        }

        // SIGTERM: running jobs finish within Outbox:JobTimeout; the pod must be given that long.
        var jobTimeout = TimeSpan.Parse(Text(K8s("configmap.yaml"), "data", "Outbox__JobTimeout"));
        Assert.True(int.Parse(Text(pod, "terminationGracePeriodSeconds")) >= jobTimeout.TotalSeconds + 5);

        // The Deployment takes its settings from the ConfigMap, and the PDB and Service select its pods.
        Assert.Equal(Text(K8s("configmap.yaml"), "metadata", "name"), Text(Items(Container, "envFrom").Single(), "configMapRef", "name"));
        var labels = At(deployment, "spec", "template", "metadata", "labels");
        Assert.Equal(Text(labels, "app.kubernetes.io/name"), Text(K8s("pdb.yaml"), "spec", "selector", "matchLabels", "app.kubernetes.io/name"));
        Assert.Equal(Text(labels, "app.kubernetes.io/name"), Text(K8s("service.yaml"), "spec", "selector", "app.kubernetes.io/name"));
        Assert.Equal("Postgres", Text(K8s("configmap.yaml"), "data", "Storage__Provider")); // replicas need the shared store
    }

    [Fact]
    public void Kustomization_ListsTheManifests_ButNotTheSecretExample()
    {
        var resources = Strings(At(K8s("kustomization.yaml"), "resources"));
        Assert.Equal(Files.Where(f => f != "secret.example.yaml").Order(), resources.Order());
        Assert.All(resources, f => Assert.True(File.Exists(RepoFile.Path($"manifests/kubernetes/{f}")), f));
    }

    [Fact]
    public void Dockerfile_RestoresEveryProjectTheHostNeeds_AndRunsTheHostAsItsUser()
    {
        var dockerfile = File.ReadAllText(RepoFile.Path("manifests/container/Dockerfile"));
        var projects = Directory.GetFiles(RepoFile.Path("src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepoFile.Path(""), p).Replace('\\', '/'));
        Assert.All(projects, p => Assert.Contains($"COPY {p} ", dockerfile));

        Assert.Matches(new Regex(@"^FROM --platform=\$BUILDPLATFORM mcr\.microsoft\.com/dotnet/sdk:10\.0 AS build$", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex(@"^FROM mcr\.microsoft\.com/dotnet/aspnet:10\.0 AS runtime$", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex(@"^USER \$APP_UID$", RegexOptions.Multiline), dockerfile);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"Bot.dll\"]", dockerfile);

        // Published for the image's architecture, precompiled (ReadyToRun, set in Bot.csproj); a publish without restore
        // needs the restore to have named the same architecture.
        Assert.Matches(new Regex(@"^ARG TARGETARCH$", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex(@"^RUN dotnet restore src/Bot/Bot\.csproj -a \$TARGETARCH$", RegexOptions.Multiline), dockerfile);
        Assert.Matches(new Regex(@"^RUN dotnet publish src/Bot/Bot\.csproj -c Release --no-restore -a \$TARGETARCH -o /app$", RegexOptions.Multiline), dockerfile);
        Assert.Contains("<PublishReadyToRun>true</PublishReadyToRun>", File.ReadAllText(RepoFile.Path("src/Bot/Bot.csproj")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "Bot.dll")), "the host's assembly is Bot.dll");
    }
}
