using Bot.Core.Escalation;
using Bot.Paging.Email;
using Bot.Paging.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bot.Paging;

/// <summary>SMS (Twilio) and e-mail (SMTP), each on when its section is configured; their callbacks.</summary>
public static class PagingServices
{
    /// <param name="local">The chat is the local one (no Slack): channels without a provider page into local files too.</param>
    public static IServiceCollection AddPaging(this IServiceCollection services, IConfiguration configuration, bool local)
    {
        var localDirectory = configuration["Paging:LocalDirectory"] is { Length: > 0 } d ? d : Path.Combine("data", "pages");
        services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TwilioOptions>, PagingOptionsValidator>();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EmailOptions>, PagingOptionsValidator>();
        services.AddHttpClient(HttpWebhookSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton<IWebhookSender, HttpWebhookSender>();
        if (configuration.GetSection(TwilioOptions.SectionName).Get<TwilioOptions>() is { IsConfigured: true })
        {
            services.AddHttpClient(TwilioApi.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
            services.AddSingleton<TwilioApi>();
            services.AddSingleton<INotifier, TwilioSms>();
            services.AddSingleton<INotifier, TwilioVoice>();
        }
        else if (local)
        {
            services.AddSingleton<INotifier>(sp => new Local.LocalPager(NotificationRule.Sms, localDirectory, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<INotifier>(sp => new Local.LocalPager(NotificationRule.Voice, localDirectory, sp.GetRequiredService<TimeProvider>()));
        }

        if (configuration.GetSection(EmailOptions.SectionName).Get<EmailOptions>() is { IsConfigured: true })
        {
            services.AddSingleton<INotifier, SmtpEmail>();
        }
        else if (local)
        {
            services.AddSingleton<INotifier>(sp => new Local.LocalPager(NotificationRule.Email, localDirectory, sp.GetRequiredService<TimeProvider>()));
        }

        return services;
    }

    public static IEndpointRouteBuilder MapPaging(this IEndpointRouteBuilder app) => app.MapTwilio().MapAckLinks();
}

/// <summary>Checks the Twilio and Email sections at start; each failure names its key.</summary>
public sealed class PagingOptionsValidator(IOptions<EscalationOptions> escalation) : IValidateOptions<TwilioOptions>, IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions o)
    {
        var errors = new List<string>();
        var any = !string.IsNullOrWhiteSpace(o.AccountSid) || !string.IsNullOrWhiteSpace(o.AuthToken) || !string.IsNullOrWhiteSpace(o.From);
        if (any && !o.IsConfigured)
        {
            errors.Add("Twilio needs AccountSid, AuthToken and From together (Twilio:AccountSid, Twilio:AuthToken, Twilio:From).");
        }

        if (!string.IsNullOrWhiteSpace(o.AccountSid) && !System.Text.RegularExpressions.Regex.IsMatch(o.AccountSid, "^AC[0-9a-fA-F]{32}$"))
        {
            errors.Add($"Twilio:AccountSid '{o.AccountSid}' is not an account SID (AC followed by 32 hex digits).");
        }

        if (!string.IsNullOrWhiteSpace(o.From) && !System.Text.RegularExpressions.Regex.IsMatch(o.From, @"^\+[1-9][0-9]{6,14}$"))
        {
            errors.Add($"Twilio:From '{o.From}' must be a number in E.164 form, e.g. +15551230000.");
        }

        // A call sends the key pressed to the bot's public address: a voice rule needs it. (Bad people settings are their
        // own validator's to report: here they count as none.)
        Dictionary<string, PersonOptions> people;
        try
        {
            people = escalation.Value.People;
        }
        catch (OptionsValidationException)
        {
            people = [];
        }

        var calls = people.Where(p => p.Value.Notify.Concat(p.Value.NotifyImportant).Any(r => NotificationRule.Parse(r).Channel == NotificationRule.Voice)).Select(p => p.Key).ToList();
        if (o.IsConfigured && o.PublicUrl is null && calls.Count > 0)
        {
            errors.Add($"Twilio:PublicUrl is needed for the voice rules of People:{calls[0]}: Twilio posts the key pressed there (https://bot.example.com).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public ValidateOptionsResult Validate(string? name, EmailOptions o)
    {
        if (!o.IsConfigured)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.From) || !MimeKit.MailboxAddress.TryParse(o.From, out _))
        {
            errors.Add($"Email:From '{o.From}' must be the sender's address, e.g. 'Incident bot <incidents@example.com>'.");
        }

        if (o.PublicUrl is null || !o.PublicUrl.IsAbsoluteUri)
        {
            errors.Add("Email:PublicUrl is needed: the bot's address as browsers reach it (https://bot.example.com), for the acknowledge links.");
        }

        if ((o.LinkSecret?.Length ?? 0) < 32)
        {
            errors.Add("Email:LinkSecret must be at least 32 characters: it signs the acknowledge links (e.g. openssl rand -hex 32).");
        }

        if (o.Security.ToLowerInvariant() is not ("none" or "starttls" or "tls"))
        {
            errors.Add($"Email:Security '{o.Security}' must be starttls, tls or none.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
