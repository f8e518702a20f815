using Bot.Core.Intake;

namespace Bot.Core.Heartbeats;

/// <summary>What heartbeats do in a unit of work: read and save their state; and, through the intake, open and resolve incidents.</summary>
public interface IHeartbeatSession : IIntakeSession
{
    /// <summary>The heartbeat's state (locked until the unit ends, where the store locks rows), or null before its first watch.</summary>
    HeartbeatState? GetHeartbeat(string name);

    void SaveHeartbeat(HeartbeatState state);
}
