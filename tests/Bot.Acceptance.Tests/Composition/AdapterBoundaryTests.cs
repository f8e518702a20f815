using System.Reflection;

namespace Bot.Acceptance.Tests.Composition;

/// <summary>Dependencies point one way: Core &lt;- adapters &lt;- host. An adapter never references another, so replacing one touches it alone.</summary>
public class AdapterBoundaryTests
{
    private static readonly string[] Adapters = ["Bot.Storage", "Bot.Slack", "Bot.GitHub"];

    [Theory]
    [InlineData("Bot.Storage")]
    [InlineData("Bot.Slack")]
    [InlineData("Bot.GitHub")]
    public void AnAdapter_ReferencesCore_AndNoOtherAdapter_NorTheHost(string adapter)
    {
        var references = Assembly.Load(adapter).GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("Bot.Core", references);
        Assert.DoesNotContain("Bot", references);
        Assert.All(Adapters.Where(a => a != adapter), other => Assert.DoesNotContain(other, references));
    }
}
