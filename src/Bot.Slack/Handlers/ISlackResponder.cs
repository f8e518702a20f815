namespace Bot.Slack.Handlers;

/// <summary>Answers through an interaction's <c>response_url</c> (valid for 30 minutes, 5 uses).</summary>
public interface ISlackResponder
{
    Task RespondAsync(string responseUrl, string text, bool inChannel, CancellationToken cancellationToken = default);
}
