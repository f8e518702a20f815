// The incident bot: `dotnet run --project src/Bot` starts it on http://127.0.0.1:8080 with embedded defaults.
return await Bot.BotApp.RunAsync(args);
