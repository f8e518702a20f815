// The incident bot: `dotnet run --project src/Bot` starts it on http://127.0.0.1:8080 with embedded defaults;
// `dotnet run --project src/Bot -- replay <scenario>` replays a scenario offline (docs/replay.md).
return args is ["replay", ..]
    ? await Bot.Replay.ReplayRunner.RunAsync(args, Console.Out, Console.Error)
    : await Bot.BotApp.RunAsync(args);
