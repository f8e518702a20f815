using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>What the chat jobs' units of work do: save what the chat made (a channel, a message) on the incident, and ask for more jobs.</summary>
public interface IChatSession : IIncidentSession, IOutbox
{
    /// <summary>Keeps the topic just set in the incident's channel, so that the same one is not set again (<see cref="IIncidentReads.GetChannelTopicAsync"/>).</summary>
    void SaveChannelTopic(long incidentNumber, string topic);
}

/// <summary>A job about one incident: a failure is told on its timeline (and, unless it is a chat job, in its channel).</summary>
public interface IIncidentJob : IJob
{
    long Incident { get; }
}

/// <summary>A job that posts to chat: when it fails for good, its failure cannot be told in chat too.</summary>
public interface IChatJob : IIncidentJob;
