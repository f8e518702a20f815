namespace Bot.Core.Alerts;

/// <summary>Whether an alert is firing or has resolved, as its sender reports it.</summary>
public enum AlertStatus
{
    Firing,
    Resolved,
}
