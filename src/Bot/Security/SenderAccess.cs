using Bot.Webhooks;

namespace Bot.Security;

/// <summary>
/// Who may post to a sender's endpoint (a webhook source, a heartbeat): with its own token, whoever carries it; without
/// one, this machine only (or anyone, with <c>Security:AllowAnonymous</c>), so that nothing ships open to the network.
/// </summary>
internal static class SenderAccess
{
    /// <summary>
    /// Null when the request may go on; else the 401 to answer, saying what to send or to set. <paramref name="what"/>
    /// names the endpoint ("Source 'grafana'"), <paramref name="things"/> what it takes, <paramref name="tokenKey"/> the
    /// setting of its token.
    /// </summary>
    public static IResult? Refusal(HttpContext http, string? token, string? user, SecurityOptions security, string what, string things, string tokenKey)
    {
        if (token is { Length: > 0 })
        {
            if (Credentials.Match(http.Request.Headers.Authorization, token, user))
            {
                return null;
            }

            http.Response.Headers.WWWAuthenticate = user is null ? "Bearer, Basic realm=\"incident-bot\"" : "Basic realm=\"incident-bot\"";
            return WebhookEndpoint.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", user is null
                ? $"{what} requires its token, as 'Authorization: Bearer <token>' or as the password of basic authentication."
                : $"{what} requires basic authentication as user '{user}' with its token as the password.");
        }

        return ClientAddress.IsLocal(http) || security.AllowAnonymous
            ? null
            : WebhookEndpoint.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", $"{what} has no token, so it takes {things} from this machine only. Set {tokenKey}.");
    }
}
