namespace Bot.Acceptance.Tests;

internal static class Fixture
{
    public static string Text(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));
}
