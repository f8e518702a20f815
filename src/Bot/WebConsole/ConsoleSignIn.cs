using System.Net;
using System.Security.Claims;
using Bot.Core.Escalation;
using Bot.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Bot.WebConsole;

/// <summary>
/// Sign-in to the console with OpenID Connect (ASP.NET Core's handler: Sign in with Slack, Google, Okta, Keycloak, Entra
/// ID...). The provider's person becomes a chat user id, so permissions and timeline authors are the same as in Slack:
/// by <c>Console:Oidc:UserIdClaim</c> (Slack's <c>https://slack.com/user_id</c>), else by a verified e-mail that is a
/// person's <c>People:&lt;id&gt;:Email</c>. Someone who is neither may look, without acting, when their e-mail's domain is
/// in <c>Console:Oidc:ViewerDomains</c>; anyone else is refused at sign-in, whatever the provider let in.
/// </summary>
internal static class ConsoleSignIn
{
    public const string CookieScheme = "console";
    public const string OidcScheme = "console-oidc";
    public const string Policy = "console";
    public const string CallbackPath = "/console/signin-oidc";
    public const string SignedOutCallbackPath = "/console/signout-callback-oidc";
    public const string SignedOutPath = "/console/signed-out";

    /// <summary>The claims the console's cookie carries: the chat user id (absent for a viewer) and the name shown.</summary>
    public const string UserClaim = "incident-bot:user";
    public const string NameClaim = "name";

    public static void Add(IServiceCollection services, ConsoleOidcOptions oidc)
    {
        services.AddAuthentication()
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "incident-bot-console";
                o.Cookie.Path = "/console";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.ForwardChallenge = OidcScheme;
            })
            .AddOpenIdConnect(OidcScheme, o =>
            {
                o.SignInScheme = CookieScheme;
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.CallbackPath = CallbackPath;
                o.SignedOutCallbackPath = SignedOutCallbackPath;
                o.ResponseType = OpenIdConnectResponseType.Code;
                o.UsePkce = true;
                // The code comes back on a top-level GET: the correlation and nonce cookies can then be SameSite=Lax and
                // need no Secure flag on a loopback try-out (a cross-site form_post would need SameSite=None; Secure).
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.RequireHttpsMetadata = !ConsoleOidcOptions.IsLoopback(oidc.Authority);
                o.MapInboundClaims = false; // claim names as the provider sends them, as the settings name them
                o.SaveTokens = false;
                o.Scope.Clear();
                foreach (var scope in oidc.Scopes)
                {
                    o.Scope.Add(scope);
                }

                o.Events.OnTokenValidated = context =>
                {
                    var people = context.HttpContext.RequestServices.GetRequiredService<IOptions<EscalationOptions>>().Value;
                    var (identity, refusal) = Map(context.Principal!, oidc, people);
                    if (identity is null)
                    {
                        context.Fail(refusal!);
                    }
                    else
                    {
                        context.Principal = new ClaimsPrincipal(identity);
                        // Only the ID token is kept (in the cookie): the provider's sign-out wants it as its hint.
                        if ((context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken) is { } idToken)
                        {
                            context.Properties!.StoreTokens([new AuthenticationToken { Name = OpenIdConnectParameterNames.IdToken, Value = idToken }]);
                        }
                    }

                    return Task.CompletedTask;
                };
                o.Events.OnRemoteFailure = async context =>
                {
                    context.HandleResponse();
                    await Results.Problem(
                        statusCode: StatusCodes.Status403Forbidden,
                        title: "Sign-in refused",
                        detail: context.Failure?.Message ?? "The sign-in did not complete.").ExecuteAsync(context.HttpContext);
                };
            });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser());
    }

    /// <summary>
    /// The console's identity for the provider's person: their chat user id and name, or a viewer's name; or why they
    /// may not sign in.
    /// </summary>
    public static (ClaimsIdentity? Identity, string? Refusal) Map(ClaimsPrincipal signedIn, ConsoleOidcOptions oidc, EscalationOptions people)
    {
        foreach (var (claim, wanted) in oidc.RequiredClaims)
        {
            if (signedIn.FindFirst(claim)?.Value is not { } value || !string.Equals(value, wanted, StringComparison.Ordinal))
            {
                return (null, $"The provider's '{claim}' claim is '{signedIn.FindFirst(claim)?.Value ?? "(none)"}', not '{wanted}' (Console:Oidc:RequiredClaims).");
            }
        }

        var email = signedIn.FindFirst("email")?.Value;
        var verified = email is not null && !string.Equals(signedIn.FindFirst("email_verified")?.Value, "false", StringComparison.OrdinalIgnoreCase);
        var user = oidc.UserIdClaim is { Length: > 0 } idClaim ? signedIn.FindFirst(idClaim)?.Value : null;
        user ??= verified
            ? people.People.FirstOrDefault(p => string.Equals(p.Value.Email, email, StringComparison.OrdinalIgnoreCase)).Key
            : null;
        var provided = signedIn.FindFirst("name")?.Value ?? email ?? signedIn.FindFirst("sub")?.Value ?? "someone";
        if (user is null)
        {
            var domain = verified ? email![(email!.LastIndexOf('@') + 1)..] : null;
            if (domain is null || !oidc.ViewerDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
            {
                var why = new List<string>();
                if (oidc.UserIdClaim is { Length: > 0 })
                {
                    why.Add($"no '{oidc.UserIdClaim}' claim");
                }

                why.Add(email is null ? "no e-mail" : !verified ? $"its e-mail {email} is not verified" : $"no People:<id>:Email is {email}");
                if (domain is not null && oidc.ViewerDomains.Count > 0)
                {
                    why.Add($"{domain} is not one of Console:Oidc:ViewerDomains");
                }

                return (null, $"{provided} is not a person of this bot: {string.Join("; ", why)}.");
            }
        }

        var name = user is null ? provided : people.NameOf(user) is var known && known != user ? known : provided;
        var identity = new ClaimsIdentity(CookieScheme, NameClaim, null);
        identity.AddClaim(new Claim(NameClaim, name));
        if (user is not null)
        {
            identity.AddClaim(new Claim(UserClaim, user));
        }

        return (identity, null);
    }

    /// <summary>Who is asking: the signed-in person, or, without sign-in configured, this machine's operator.</summary>
    public static ConsoleUser Who(HttpContext http, ConsoleOptions options) =>
        options.SignInConfigured
            ? new ConsoleUser(http.User.FindFirst(UserClaim)?.Value, http.User.FindFirst(NameClaim)?.Value ?? "someone", SignedIn: true)
            : new ConsoleUser(options.LocalUser, options.LocalUserName, SignedIn: false);

    /// <summary>
    /// Signs out of the console, then out of the provider where it has an end-session endpoint (Keycloak, Okta, Entra
    /// ID): else the next "Sign in" would come back at once, signed in by the provider's own session. A provider without
    /// one (Slack, Google) keeps its session; the page says so.
    /// </summary>
    public static async Task<IResult> SignOutAsync(HttpContext http, IOptionsMonitor<OpenIdConnectOptions> oidc, ILoggerFactory logs)
    {
        var idToken = await http.GetTokenAsync(CookieScheme, OpenIdConnectParameterNames.IdToken);
        await http.SignOutAsync(CookieScheme);
        return idToken is not null && await EndSessionEndpointAsync(http, oidc, logs) is { Length: > 0 }
            ? Results.SignOut(new AuthenticationProperties { RedirectUri = SignedOutPath }, [OidcScheme])
            : Results.Redirect($"{SignedOutPath}?provider=kept");
    }

    /// <summary>The provider's end-session endpoint from its discovery document (read once by the handler), or null.</summary>
    private static async Task<string?> EndSessionEndpointAsync(HttpContext http, IOptionsMonitor<OpenIdConnectOptions> oidc, ILoggerFactory logs)
    {
        try
        {
            return (await oidc.Get(OidcScheme).ConfigurationManager!.GetConfigurationAsync(http.RequestAborted)).EndSessionEndpoint;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logs.CreateLogger(typeof(ConsoleSignIn)).LogWarning(e, "The sign-in provider's configuration could not be read; signed out of the console only.");
            return null;
        }
    }

    public static IResult SignedOut(HttpContext http) =>
        new Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<SignedOutPage>(new { ProviderKept = http.Request.Query["provider"] == "kept" });
}

/// <summary>The person the console shows and acts as. <see cref="Id"/> is their chat user id; null for a viewer.</summary>
public sealed record ConsoleUser(string? Id, string Name, bool SignedIn)
{
    public bool CanAct => Id is not null;
}

/// <summary>The <c>Console:Oidc</c> section.</summary>
public sealed class ConsoleOidcOptions
{
    /// <summary>The provider's issuer (<c>https://slack.com</c>, <c>https://accounts.google.com</c>, a Keycloak realm...). Sign-in is on when set.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The claim holding the person's chat user id (Sign in with Slack: <c>https://slack.com/user_id</c>).</summary>
    public string? UserIdClaim { get; set; }

    /// <summary>Claims that must have these values (Slack: <c>https://slack.com/team_id</c> = your workspace).</summary>
    public Dictionary<string, string> RequiredClaims { get; set; } = new(StringComparer.Ordinal);

    /// <summary>E-mail domains whose people may read the console without being a person of the bot (they cannot act).</summary>
    public List<string> ViewerDomains { get; set; } = [];

    public List<string> Scopes { get; set; } = ["openid", "email", "profile"];

    public static bool IsLoopback(string? authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri) && (uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>Checks the <c>Console</c> section (sign-in, the reports' working hours) at start-up; each failure names the key.</summary>
internal sealed class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>
{
    private const string Slack = "https://slack.com";

    public ValidateOptionsResult Validate(string? name, ConsoleOptions options)
    {
        var oidc = options.Oidc;
        var errors = new List<string>();
        if (Core.Reports.WorkingHours.Parse(options.WorkingHours, options.ReportTimeZone).Error is { } hours)
        {
            errors.Add($"{ConsoleOptions.SectionName}:WorkingHours / ReportTimeZone: {hours}");
        }

        foreach (var (key, held) in new[] { ("HeldPagesAfter", options.HeldPagesAfter), ("HeldWorkAfter", options.HeldWorkAfter) })
        {
            if (held <= TimeSpan.Zero)
            {
                errors.Add($"{ConsoleOptions.SectionName}:{key} is {held}: it must be a positive time (e.g. 00:01:00).");
            }
        }

        if (!options.SignInConfigured)
        {
            if (oidc.ClientId is { Length: > 0 } || oidc.ClientSecret is { Length: > 0 })
            {
                errors.Add("Console:Oidc:Authority is not set, so sign-in is off; set it (the provider's issuer URL) or remove Console:Oidc:ClientId and ClientSecret.");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        const string Key = $"{ConsoleOptions.SectionName}:Oidc";
        if (!Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority) || !(authority.Scheme == Uri.UriSchemeHttps || authority.Scheme == Uri.UriSchemeHttp && ConsoleOidcOptions.IsLoopback(oidc.Authority)))
        {
            errors.Add($"{Key}:Authority '{oidc.Authority}' must be an https:// URL (http:// only for a provider on loopback).");
        }

        if (string.IsNullOrWhiteSpace(oidc.ClientId))
        {
            errors.Add($"{Key}:ClientId is required: the client id the provider gave the bot.");
        }

        if (string.IsNullOrWhiteSpace(oidc.ClientSecret))
        {
            errors.Add($"{Key}:ClientSecret is required: the client secret the provider gave the bot (or Console:Oidc:ClientSecretFile, a file holding it).");
        }

        if (!oidc.Scopes.Contains("openid", StringComparer.Ordinal))
        {
            errors.Add($"{Key}:Scopes must include 'openid'.");
        }

        if (authority is not null && authority.Host.Equals("slack.com", StringComparison.OrdinalIgnoreCase) && !oidc.RequiredClaims.ContainsKey($"{Slack}/team_id"))
        {
            errors.Add($"{Key}:RequiredClaims:{Slack}/team_id is required with Sign in with Slack: without it, anyone in any Slack workspace could sign in.");
        }

        foreach (var domain in oidc.ViewerDomains.Where(d => d.Contains('@') || !d.Contains('.')))
        {
            errors.Add($"{Key}:ViewerDomains has '{domain}'; give a domain such as example.com.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
