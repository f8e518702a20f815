namespace Bot.Core.Commands;

/// <summary>A person named in a command: Slack's <c>&lt;@U123|alice&gt;</c>, <c>&lt;@U123&gt;</c>, or a plain <c>@alice</c>.</summary>
public sealed record UserRef(string Id, string? Name)
{
    public string Display => Name ?? Id;
}
