using System.Security.Cryptography;
using System.Text;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Telemetry;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Bot.Paging.Email;

/// <summary>
/// E-mail pages over SMTP (MailKit): the incident, and a link that acknowledges it once, until it expires (a test page:
/// its text alone). SMTP has no
/// idempotency key; the Message-ID is the job's, so a message sent again by a retry is the same message to the mail
/// systems that de-duplicate by it.
/// </summary>
public sealed class SmtpEmail(IOptions<EmailOptions> options, TimeProvider time) : INotifier
{
    public string Channel => NotificationRule.Email;

    private EmailOptions O => options.Value;

    public async Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken)
    {
        var mail = new MimeMessage
        {
            MessageId = $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(run.Key)))[..32]}@incident-bot",
        };
        if (message.Incident is { } incident)
        {
            var expires = time.GetUtcNow() + O.LinkLifetime;
            var link = new Uri(O.PublicUrl!, $"ack/{AckLinks.Create(O.LinkSecret!, incident.Number, message.User, expires)}");
            mail.Subject = $"[{incident.Key} {incident.Severity.Display()}] {incident.Title}";
            mail.Body = new TextPart("plain")
            {
                Text = $"""
                    You are paged for {message.Text}.

                    Acknowledge: {link}
                    (the link works once, until {expires:yyyy-MM-dd HH:mm} UTC; or /incident ack in the incident's channel)
                    """,
            };
        }
        else
        {
            mail.Subject = "[Test page] How the incident bot pages you";
            mail.Body = new TextPart("plain") { Text = message.Text };
        }

        mail.From.Add(MailboxAddress.Parse(O.From!));
        mail.To.Add(MailboxAddress.Parse(message.Address));

        using var smtp = new SmtpClient();
        try
        {
            await smtp.ConnectAsync(O.Host!, O.Port, Security(O.Security), cancellationToken);
            if (!string.IsNullOrEmpty(O.Username))
            {
                await smtp.AuthenticateAsync(O.Username, O.Password ?? "", cancellationToken);
            }

            await smtp.SendAsync(mail, cancellationToken);
            await smtp.DisconnectAsync(quit: true, cancellationToken);
            Count("ok");
        }
        catch (SmtpCommandException e) when (e.StatusCode is SmtpStatusCode.MailboxUnavailable or SmtpStatusCode.MailboxNameNotAllowed or SmtpStatusCode.UserNotLocalTryAlternatePath)
        {
            Count("error");
            throw new PermanentEffectException($"the mail server refused {message.Address}: {e.Message}", e);
        }
        catch (AuthenticationException e)
        {
            Count("error");
            throw new PermanentEffectException($"the mail server refused the credentials (Email:Username, Email:Password): {e.Message}", e);
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or System.Net.Sockets.SocketException)
        {
            Count("error");
            throw new IOException($"the mail server failed to take the e-mail: {e.Message}", e); // retried with backoff
        }
    }

    private static SecureSocketOptions Security(string setting) => setting.ToLowerInvariant() switch
    {
        "none" => SecureSocketOptions.None,
        "tls" => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTls,
    };

    private static void Count(string outcome) =>
        BotTelemetry.Calls.Add(1, BotTelemetry.Tag("service", "smtp"), BotTelemetry.Tag("method", "send"), BotTelemetry.Tag("outcome", outcome));
}
