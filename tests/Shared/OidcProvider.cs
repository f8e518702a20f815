using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Bot.Tests.Shared;

/// <summary>
/// A real OpenID Connect provider on 127.0.0.1: OpenIddict's server (discovery, JWKS, authorization endpoint, token
/// endpoint; the authorization code flow with PKCE required; ID tokens signed with a key made at start). It knows one
/// client, whose id, secret and redirect URI it checks as any provider does (an unknown client or redirect URI is refused
/// before any sign-in). Its sign-in page lists <see cref="People"/>: a browser picks one with a button, as a person would
/// type their password; the ID token then carries that person's claims. Like a real provider it then remembers the
/// browser (a session cookie of its own): the next sign-in returns at once, without the page, until the client sends
/// the browser to its end-session endpoint (RP-initiated logout), which forgets it.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "incident-bot";
    public const string ClientSecret = "provider-given-secret";

    private readonly WebApplication _app;

    private OidcProvider(WebApplication app) => _app = app;

    public Uri Authority { get; private set; } = null!;

    /// <summary>The redirect URI registered for the client (the bot's callback); null refuses every authorization.</summary>
    public string? RedirectUri { get; set; }

    /// <summary>The post-logout redirect URI registered for the client; null refuses every end-session request that names one.</summary>
    public string? PostLogoutRedirectUri { get; set; }

    /// <summary>Sessions ended at the end-session endpoint, with the subject of the ID token the client sent as its hint.</summary>
    public ConcurrentQueue<string?> EndedSessions { get; } = new();

    private const string SessionCookie = "provider-session";

    /// <summary>The people who can sign in, by login name, with the claims their ID token carries.</summary>
    public ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> People { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests the provider refused, with why.</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    /// <summary>Codes redeemed at the token endpoint (one per completed sign-in).</summary>
    public int TokensIssued => _tokens;

    private int _tokens;

    /// <summary>Starts the provider; <paramref name="endSession"/> false makes it one without an end-session endpoint (as Slack and Google are).</summary>
    public static async Task<OidcProvider> StartAsync(bool endSession = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        OidcProvider? provider = null;
        builder.Services.AddOpenIddict().AddServer(o =>
        {
            o.SetAuthorizationEndpointUris("connect/authorize").SetTokenEndpointUris("connect/token");
            if (endSession)
            {
                o.SetEndSessionEndpointUris("connect/endsession");
            }

            o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
            o.RegisterScopes(Scopes.OpenId, Scopes.Email, Scopes.Profile);
            // Keys made here: OpenIddict's ephemeral ones took seconds at the first request on this machine.
            o.AddEncryptionKey(new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)))
                .AddSigningKey(new Microsoft.IdentityModel.Tokens.RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)))
                .DisableAccessTokenEncryption();
            // No application store: the one client is checked by the handlers below, as a registered client would be.
            o.EnableDegradedMode();
            var aspNetCore = o.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            if (endSession)
            {
                aspNetCore.EnableEndSessionEndpointPassthrough();
            }

            o.AddEventHandler<ValidateAuthorizationRequestContext>(b => b.UseInlineHandler(context =>
            {
                if (context.ClientId != ClientId)
                {
                    provider!.Refuse(context, Errors.InvalidClient, $"client_id '{context.ClientId}' is not registered.");
                }
                else if (context.RedirectUri is null || context.RedirectUri != provider!.RedirectUri)
                {
                    provider!.Refuse(context, Errors.InvalidRequest, $"redirect_uri '{context.RedirectUri}' is not registered for the client.");
                }

                return default;
            }));
            o.AddEventHandler<ValidateEndSessionRequestContext>(b => b.UseInlineHandler(context =>
            {
                if (context.PostLogoutRedirectUri is { } uri && uri != provider!.PostLogoutRedirectUri)
                {
                    provider!.Refuse(context, Errors.InvalidRequest, $"post_logout_redirect_uri '{uri}' is not registered for the client.");
                }

                return default;
            }));
            o.AddEventHandler<ValidateTokenRequestContext>(b => b.UseInlineHandler(context =>
            {
                if (context.ClientId != ClientId || context.ClientSecret != ClientSecret)
                {
                    provider!.Refuse(context, Errors.InvalidClient, "client authentication failed.");
                }

                return default;
            }));
            o.AddEventHandler<ApplyTokenResponseContext>(b => b.UseInlineHandler(context =>
            {
                if (context.Response.IdToken is not null)
                {
                    Interlocked.Increment(ref provider!._tokens);
                }

                return default;
            }));
        });
        var app = builder.Build();
        provider = new OidcProvider(app);
        app.MapMethods("/connect/authorize", ["GET", "POST"], provider.Authorize);
        app.MapMethods("/connect/endsession", ["GET", "POST"], (Delegate)provider.EndSessionAsync);
        await app.StartAsync();
        provider.Authority = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return provider;
    }

    private void Refuse(BaseValidatingContext context, string error, string description)
    {
        Refused.Enqueue(description);
        context.Reject(error, description);
    }

    /// <summary>The sign-in page (every request parameter carried in hidden fields), or, with a person picked, the sign-in.</summary>
    private IResult Authorize(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var login = http.Request.HasFormContentType ? http.Request.Form["login"].ToString() : "";
        if (login.Length == 0)
        {
            login = http.Request.Cookies[SessionCookie] ?? ""; // signed in here before: no page
        }

        if (login.Length == 0 || !People.TryGetValue(login, out var claims))
        {
            var page = new StringBuilder("<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in</h1><form method=\"post\" action=\"/connect/authorize\">");
            foreach (var (name, value) in request.GetParameters())
            {
                page.Append($"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(name)}\" value=\"{WebUtility.HtmlEncode(value.ToString())}\">");
            }

            foreach (var person in People.Keys.Order(StringComparer.Ordinal))
            {
                page.Append($"<button type=\"submit\" name=\"login\" value=\"{WebUtility.HtmlEncode(person)}\">Sign in as {WebUtility.HtmlEncode(person)}</button>");
            }

            return Results.Content(page.Append("</form></body></html>").ToString(), "text/html");
        }

        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, login);
        foreach (var (type, value) in claims)
        {
            identity.AddClaim(value is "true" or "false" ? new Claim(type, value, ClaimValueTypes.Boolean) : new Claim(type, value));
        }

        http.Response.Cookies.Append(SessionCookie, login, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, Path = "/" });
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(_ => [Destinations.IdentityToken]);
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>Forgets the browser's session, then returns it to the client's post-logout redirect URI (with its state).</summary>
    private async Task<IResult> EndSessionAsync(HttpContext http)
    {
        var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme); // the id_token_hint, validated
        http.Response.Cookies.Delete(SessionCookie, new CookieOptions { Path = "/" });
        EndedSessions.Enqueue(hint.Principal?.GetClaim(Claims.Subject));
        return Results.SignOut(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
