using System.Text;

namespace Bot.Core.Alerts;

/// <summary>
/// A stable 16-hex-digit fingerprint (FNV-1a, 64 bit) for senders that do not send one. Same input, same value,
/// on every machine and run.
/// </summary>
public static class Fingerprint
{
    public static string Of(LabelSet labels, string? extra = null)
    {
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offset;

        void Add(string s)
        {
            foreach (var b in Encoding.UTF8.GetBytes(s))
            {
                hash ^= b;
                hash *= prime;
            }

            hash ^= 0xff; // separator that cannot occur in UTF-8
            hash *= prime;
        }

        if (extra is not null)
        {
            Add(extra);
        }

        foreach (var (name, value) in labels)
        {
            Add(name);
            Add(value);
        }

        return hash.ToString("x16");
    }
}
