using System.Xml.Linq;
using Bot.Core.Ports;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Bot.Security;

/// <summary>
/// ASP.NET Core's data-protection key ring (it signs and encrypts the console's sign-in cookie and form tokens) kept in
/// the bot's store: every replica on one PostgreSQL uses the same keys, so a person signed in through one replica is
/// signed in on all, and a restart signs nobody out. Without it each replica made its own keys in its home folder, or
/// in memory where there is none (a container). The ring is read when the host first needs it and about once a day;
/// a key is added about every 90 days.
/// </summary>
internal sealed class StoreKeyRing(IServiceProvider services) : IXmlRepository
{
    /// <summary>The application name every replica shares (the default is the content root's path, which may differ).</summary>
    public const string ApplicationName = "incident-bot";

    public static void Add(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        // The store is asked for when the ring is first read, not when the options are made: `check` validates options
        // without opening the database.
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((o, sp) => o.XmlRepository = new StoreKeyRing(sp));

        // Data protection loads its key ring at start (a hosted service), to spare the first request; only the console's
        // forms and sign-in use it, so it is read when they first need it, and the start (and /readyz) does not wait.
        foreach (var eager in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService").ToList())
        {
            services.Remove(eager);
        }
    }

    // The repository's interface is synchronous; its calls are rare (above), so waiting on the store here is cheap. The
    // store is asked on the thread pool: the ring can be read in the middle of rendering a page (a form's antiforgery
    // token), whose synchronization context the store's continuations must not wait for while this waits for them.
    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. Task.Run(() => services.GetRequiredService<IHostKeyReads>().ListHostKeysAsync()).GetAwaiter().GetResult().Select(document => XElement.Parse(document))];

    public void StoreElement(XElement element, string friendlyName) =>
        Task.Run(() => services.GetRequiredService<IUnitOfWork<IHostKeySession>>().WriteAsync(s => s.AddHostKey(friendlyName, element.ToString(SaveOptions.DisableFormatting))))
            .GetAwaiter().GetResult();
}
