using System.Runtime.InteropServices;
using Bot.Storage.Sqlite;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The SQLite log's flush (<see cref="LogFileSync"/>) with a stand-in for the C library's <c>fdatasync</c>: what it does
/// when the call is interrupted, fails, or is not there to call.
/// </summary>
public sealed class LogFileSyncTests : IDisposable
{
    private const int Interrupted = 4; // EINTR
    private const int InputOutput = 5; // EIO

    private readonly string _path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("n") + "-wal");

    public LogFileSyncTests() => File.WriteAllBytes(_path, new byte[4096]);

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void TheRealOne_SyncsARealFile()
    {
        LogFileSync.Default.Flush(_path); // on Linux through fdatasync: throws if the call were broken
    }

    [Fact]
    public void AnInterruptedSync_IsTriedAgain_UntilItIsDone()
    {
        var (calls, fsyncs) = (0, 0);
        var sync = new LogFileSync(
            fd =>
            {
                Assert.True(fd > 2, $"descriptor {fd}"); // the log's file, opened for the call
                if (++calls < 3)
                {
                    Marshal.SetLastPInvokeError(Interrupted);
                    return -1;
                }

                return 0;
            },
            _ => fsyncs++);

        sync.Flush(_path);
        Assert.Equal((3, 0), (calls, fsyncs)); // and no fsync where fdatasync did it
    }

    [Fact]
    public void AFailedSync_IsAnIOException_NamingTheFileAndTheError()
    {
        var sync = new LogFileSync(_ =>
        {
            Marshal.SetLastPInvokeError(InputOutput);
            return -1;
        });

        var error = Assert.Throws<IOException>(() => sync.Flush(_path));
        Assert.Equal($"fdatasync of {_path} failed: {Marshal.GetPInvokeErrorMessage(InputOutput)}", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WithoutFdatasyncInTheCLibrary_TheFileIsSyncedWholly_AndFdatasyncNeverTriedAgain(bool noEntryPoint)
    {
        var (calls, fsyncs) = (0, 0);
        var sync = new LogFileSync(
            _ =>
            {
                calls++;
                throw noEntryPoint ? new EntryPointNotFoundException("fdatasync") : new DllNotFoundException("libc");
            },
            file =>
            {
                fsyncs++;
                RandomAccess.FlushToDisk(file);
            });

        sync.Flush(_path);
        sync.Flush(_path);
        Assert.Equal((1, 2), (calls, fsyncs));
    }

    [Fact]
    public void ALogThatIsNotThere_IsNotSynced_NorAnError()
    {
        var calls = 0;
        var sync = new LogFileSync(_ => ++calls - 1);
        File.Delete(_path);

        sync.Flush(_path);
        Assert.Equal(0, calls);
    }
}
