using YamlDotNet.RepresentationModel;

namespace Bot.Acceptance.Tests;

/// <summary>Reads the repository's YAML manifests for the tests that check them against the code.</summary>
internal static class Yaml
{
    /// <summary>Every document of a file under the repository (a manifest may hold several).</summary>
    public static List<YamlMappingNode> Load(string relativePath)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(RepoFile.Path(relativePath))));
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    public static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => ((YamlMappingNode)n).Children[new YamlScalarNode(key)]);

    public static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    public static bool Has(YamlNode node, string key) => ((YamlMappingNode)node).Children.ContainsKey(new YamlScalarNode(key));

    public static List<YamlNode> Items(YamlNode node, params string[] path) => ((YamlSequenceNode)At(node, path)).Children.ToList();

    public static List<string> Strings(YamlNode node) => ((YamlSequenceNode)node).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();

    public static IEnumerable<string> Keys(YamlNode node) => ((YamlMappingNode)node).Children.Keys.Select(k => ((YamlScalarNode)k).Value!);
}
