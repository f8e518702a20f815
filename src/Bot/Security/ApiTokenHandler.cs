using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Bot.Security;

/// <summary>
/// Authenticates <c>/api/*</c> requests (ASP.NET Core authentication, scheme <see cref="SchemeName"/>): a bearer secret
/// whose SHA-256 is one of <see cref="ApiOptions.Tokens"/> gives that token's scopes and user. With no tokens configured,
/// a loopback client (or any, with <see cref="SecurityOptions.AllowAnonymous"/>) is the local operator, with every
/// scope: the try-out on one machine needs no setup. Refusals are RFC 7807 problems that say what to send; the secret is
/// never logged.
/// </summary>
public sealed class ApiTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> scheme, ILoggerFactory logs, UrlEncoder encoder, IOptions<ApiOptions> api, IOptions<SecurityOptions> security)
    : AuthenticationHandler<AuthenticationSchemeOptions>(scheme, logs, encoder)
{
    public const string SchemeName = "ApiToken";

    /// <summary>The claim naming the token (or <see cref="LocalToken"/>).</summary>
    public const string TokenClaim = "token";

    /// <summary>The token name of the local operator (no tokens configured, loopback client).</summary>
    public const string LocalToken = "local";

    private readonly (string Name, byte[] Digest, ApiTokenOptions Token)[] _tokens =
        api.Value.Tokens.Where(t => ApiTokenHash.IsValid(t.Value.Hash)).Select(t => (t.Key, ApiTokenHash.Digest(t.Value.Hash), t.Value)).ToArray();

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? authorization = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(authorization) && Request.Path.Value?.EndsWith(".ics", StringComparison.Ordinal) == true && Request.Query["token"] is [{ Length: > 0 } inUrl])
        {
            // A calendar subscribes by address alone: a feed (.ics) takes its token in the query, as `?token=`.
            authorization = "Bearer " + inUrl;
        }

        if (string.IsNullOrEmpty(authorization))
        {
            return Task.FromResult(_tokens.Length == 0 && (ClientAddress.IsLocal(Context) || security.Value.AllowAnonymous)
                ? Success(LocalToken, ApiScopes.All, user: null, userName: null)
                : AuthenticateResult.NoResult());
        }

        if (!Credentials.TryBearer(authorization, out var secret))
        {
            return Task.FromResult(AuthenticateResult.Fail("Only 'Authorization: Bearer <token>' is accepted."));
        }

        // Every configured digest is compared, each in constant time, so the answer's timing says nothing of which matched.
        var given = ApiTokenHash.DigestOfSecret(secret);
        var match = -1;
        for (var i = 0; i < _tokens.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(given, _tokens[i].Digest))
            {
                match = i;
            }
        }

        if (match < 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("The token is not one of Api:Tokens."));
        }

        var (name, _, token) = _tokens[match];
        return Task.FromResult(Success(name, token.Scopes, token.User, token.UserName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return _tokens.Length == 0
            ? WriteAsync(StatusCodes.Status403Forbidden, "Loopback only", "The API answers clients on this machine only until Api:Tokens is set (see docs/security.md).")
            : WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized", "Send 'Authorization: Bearer <token>' with a token of Api:Tokens.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var token = Context.User.FindFirst(TokenClaim)?.Value ?? "?";
        var needed = Context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()?.Policy ?? "another scope";
        return WriteAsync(StatusCodes.Status403Forbidden, "Forbidden", $"Token '{token}' does not have the scope '{needed}' (Api:Tokens:{token}:Scopes).");
    }

    private AuthenticateResult Success(string token, IEnumerable<string> scopes, string? user, string? userName)
    {
        var claims = new List<Claim> { new(TokenClaim, token) };
        claims.AddRange(scopes.Select(s => new Claim(ApiScopes.ClaimType, s)));
        if (!string.IsNullOrWhiteSpace(user))
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, user));
            claims.Add(new Claim(ClaimTypes.Name, string.IsNullOrWhiteSpace(userName) ? user : userName));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    private Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        return Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}
