namespace Bot.Core.Effects;

/// <summary>The kinds of outbox jobs and how each reads in a failure message.</summary>
public static class EffectKinds
{
    public const string OpenChannel = "chat.open_channel";
    public const string PostSummary = "chat.post_summary";
    public const string Announce = "chat.announce";
    public const string Digest = "chat.digest";
    public const string PostText = "chat.post_text";
    public const string UpdateReminder = "incident.update_reminder";
    public const string RefreshSummary = "chat.refresh_summary";
    public const string Postmortem = "postmortem.publish";
    public const string FileTask = "tasks.file";
    public const string EscalationStep = "escalation.step";
    public const string Page = "escalation.page";
    public const string PageGroup = "escalation.page_group";
    public const string Invite = "chat.invite";

    public static string Describe(string kind) => kind switch
    {
        OpenChannel => "create the incident channel",
        PostSummary => "post the incident summary",
        Announce => "announce the incident",
        Digest => "post the alert digest to the incident channel",
        PostText => "post a message",
        UpdateReminder => "remind the lead to post an update",
        RefreshSummary => "update the pinned summary",
        Postmortem => "write the postmortem draft",
        FileTask => "file the task as an issue",
        EscalationStep => "run the escalation step",
        Page => "page a responder",
        PageGroup => "page the members of a user group",
        Invite => "invite a paged responder to the channel",
        _ => $"run '{kind}'",
    };
}
