namespace Bot.Core.Tests;

internal static class Fixture
{
    public static byte[] Bytes(string path) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));
}
