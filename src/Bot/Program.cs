// The incident bot: `dotnet run --project src/Bot` starts it on http://127.0.0.1:8080 with embedded defaults;
// `dotnet run --project src/Bot -- replay <scenario>` replays a scenario offline (docs/replay.md);
// `dotnet run --project src/Bot -- token <name> <scope>...` makes an API token (docs/security.md);
// `dotnet run --project src/Bot -- check` validates the settings without starting (docs/deploy.md).
return args switch
{
    ["replay", ..] => await Bot.Replay.ReplayRunner.RunAsync(args, Console.Out, Console.Error),
    ["token", ..] => Bot.Security.TokenCommand.Run(args, Console.Out, Console.Error),
    ["check", .. var rest] => await Bot.BotApp.CheckAsync(rest, Console.Out, Console.Error),
    _ => await Bot.BotApp.RunAsync(args),
};
