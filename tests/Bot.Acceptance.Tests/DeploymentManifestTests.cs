using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using static Bot.Acceptance.Tests.Yaml;

namespace Bot.Acceptance.Tests;

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

    [Fact]
    public void EnvironmentVariables_AreSettingsTheBotReads()
    {
        var documented = DocumentedSettings();
        var names = Keys(At(K8s("configmap.yaml"), "data"))
            .Concat(Keys(At(K8s("secret.example.yaml"), "stringData")))
            .Concat(Items(Container, "env").Select(e => Text(e, "name")))
            .Where(n => n != "ASPNETCORE_URLS")
            .ToList();

        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(documented.Contains(n.Replace("__", ":")), $"{n} is not a setting the bot reads (appsettings.example.json)"));
    }

    [Fact]
    public void SecretReferences_NameKeysOfTheSecret()
    {
        var secretKeys = Keys(At(K8s("secret.example.yaml"), "stringData")).ToHashSet();
        var secretName = Text(K8s("secret.example.yaml"), "metadata", "name");

        foreach (var env in Items(Container, "env"))
        {
            var reference = At(env, "valueFrom", "secretKeyRef");
            Assert.Equal(secretName, Text(reference, "name"));
            Assert.Contains(Text(reference, "key"), secretKeys);
            Assert.Equal(Text(env, "name"), Text(reference, "key"));
        }

        Assert.Contains("Storage__ConnectionString", secretKeys); // the password stays out of the ConfigMap
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
    }

    [Fact]
    public async Task Probes_ArePathsTheBotServes()
    {
        var probes = new[] { "livenessProbe", "readinessProbe", "startupProbe" }.Select(p => Text(Container, p, "httpGet", "path")).ToList();
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
