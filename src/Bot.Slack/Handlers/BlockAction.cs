namespace Bot.Slack.Handlers;

/// <summary>A click on a button of ours: which button (<see cref="ActionId"/>), its value, who, where.</summary>
public sealed class ButtonAction
{
    public string ActionId { get; set; } = "";
    public string Value { get; set; } = "";
}

/// <summary>The block_actions interaction around the clicked button.</summary>
public sealed class BlockActionRequest
{
    public string UserId { get; set; } = "";
    public string UserName { get; set; } = "";
    public string ChannelId { get; set; } = "";
    public string? ResponseUrl { get; set; }

    /// <summary>The interaction's trigger, for opening a form in answer (<c>views.open</c>).</summary>
    public string? TriggerId { get; set; }
}

/// <summary>Handles button clicks (SlackNet's <c>IBlockActionHandler</c> shape).</summary>
public interface IBlockActionHandler
{
    Task Handle(ButtonAction action, BlockActionRequest request);
}

/// <summary>An emoji reaction added to a message (Events API <c>reaction_added</c>).</summary>
public sealed class ReactionAdded
{
    /// <summary>The event's <c>event_id</c>, the same on every delivery of it.</summary>
    public string EventId { get; set; } = "";
    public string User { get; set; } = "";
    public string Reaction { get; set; } = "";
    public string ItemUser { get; set; } = "";
    public string Channel { get; set; } = "";
    public string MessageTs { get; set; } = "";
}

/// <summary>A person opened the app's Home tab (Events API <c>app_home_opened</c>, tab <c>home</c>).</summary>
public sealed class AppHomeOpened
{
    public string User { get; set; } = "";
}

/// <summary>Handles one kind of Events API event (SlackNet's <c>IEventHandler&lt;T&gt;</c> shape).</summary>
public interface IEventHandler<in TEvent>
{
    Task Handle(TEvent slackEvent);
}
