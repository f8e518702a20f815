namespace Bot.Slack.WebApi;

/// <summary>Slack answered <c>{"ok": false, "error": ...}</c>, or refused the call outright.</summary>
public sealed class SlackApiException(string method, string error, TimeSpan? retryAfter = null)
    : Exception(retryAfter is null ? $"Slack {method}: {error}" : $"Slack {method}: {error} (retry after {retryAfter.Value.TotalSeconds:0} s)")
{
    /// <summary>Errors that no retry will fix: they are reported once and the job is given up.</summary>
    public static readonly IReadOnlySet<string> Permanent = new HashSet<string>(StringComparer.Ordinal)
    {
        "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed", "account_inactive", "token_revoked",
        "token_expired", "missing_scope", "no_permission", "restricted_action", "msg_too_long", "no_text", "invalid_blocks",
        "invalid_name", "invalid_name_required", "invalid_name_punctuation", "invalid_name_maxlength", "invalid_name_specials",
        "user_not_found", "users_not_found", "cant_invite_self", "not_allowed_token_type", "ekm_access_denied", "team_access_not_granted",
        "invalid_arguments", "unknown_method",

        // usergroups.users.list for a group that does not exist (Slack's method page; not in the Web API spec file).
        "no_such_subteam",
    };

    public string Method { get; } = method;

    public string Error { get; } = error;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public bool IsPermanent => Permanent.Contains(Error);
}
