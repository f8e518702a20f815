using Bot.Core.Chat;
using Bot.Core.Incidents;

namespace Bot.Core.Tasks;

/// <summary>What filing a task does in a unit of work: add it to its incident, record where it was filed, and tell the channel.</summary>
public interface ITaskSession : IChatSession
{
    /// <summary>Adds a task to the incident and gives it the next number.</summary>
    IncidentTask AddTask(long incidentNumber, IncidentTask task);

    /// <summary>Records where a task was filed (its issue link) and its state.</summary>
    void UpdateTask(long incidentNumber, int taskNumber, string url, string state);
}
