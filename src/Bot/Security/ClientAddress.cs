using System.Net;

namespace Bot.Security;

/// <summary>
/// Whether a request comes from this machine. The address is the connection's, as the forwarded-headers middleware
/// left it: behind a reverse proxy on loopback that sends <c>X-Forwarded-For</c>, it is the real client's, so a proxy on
/// the same machine does not make the whole internet local.
/// </summary>
public static class ClientAddress
{
    public static bool IsLocal(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } address
            ? IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)
            : http.Connection.LocalIpAddress is null; // no address at all: an in-process call, or a Unix socket
}
