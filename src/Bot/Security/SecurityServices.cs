using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Bot.Security;

/// <summary>
/// The bot's front door, from ASP.NET Core's own parts: forwarded headers (a reverse proxy on loopback reports the real
/// client), host filtering (<c>AllowedHosts</c>, loopback names by default: a web page cannot reach a bot on 127.0.0.1
/// by DNS rebinding), and authentication and authorization of <c>/api/*</c> by token scopes.
/// </summary>
public static class SecurityServices
{
    /// <summary>The names a bot on loopback answers to when <c>AllowedHosts</c> is not set.</summary>
    public const string LoopbackHosts = "localhost;127.0.0.1;[::1]";

    public static WebApplicationBuilder AddBotSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecurityOptions>, ExposureCheck>();

        services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        var hosts = AllowedHosts(builder.Configuration);
        services.Configure<HostFilteringOptions>(o => o.AllowedHosts = hosts);

        // No default scheme: each policy names the scheme it takes, so a request to no protected endpoint (a webhook, the
        // Slack endpoints, which check their own senders) runs no authentication at all. ASP.NET Core would make a lone
        // scheme (the API's, when the console has no sign-in) the default: the switch keeps it from doing so.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, null);
        var policies = services.AddAuthorizationBuilder();
        foreach (var scope in new[] { ApiScopes.Read, ApiScopes.Commands, ApiScopes.Metrics })
        {
            policies.AddPolicy(scope, p => p.AddAuthenticationSchemes(ApiTokenHandler.SchemeName).RequireClaim(ApiScopes.ClaimType, scope));
        }

        return builder;
    }

    /// <summary>Forwarded headers, host filtering, then authentication and authorization, in that order.</summary>
    public static WebApplication UseBotSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseHostFiltering();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary><c>AllowedHosts</c> (';'-separated, ASP.NET Core's own setting), or the loopback names when it is not set.</summary>
    public static List<string> AllowedHosts(IConfiguration configuration) =>
        (string.IsNullOrWhiteSpace(configuration["AllowedHosts"]) ? LoopbackHosts : configuration["AllowedHosts"]!)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
