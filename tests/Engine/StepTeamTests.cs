using BioSim.Engine.Simulation;
using NUnit.Framework;

namespace BioSim.Tests.Engine;

[TestFixture, Category("Unit")]
public sealed class StepTeamTests
{
    /// <summary>Over many short rounds (where races between publishing a round and claiming would show), every
    /// chunk runs exactly once per round, whatever the number of workers.</summary>
    [TestCase(1, 5), TestCase(2, 37), TestCase(3, 2)]
    public void EveryChunkRunsExactlyOncePerRound(int workers, int count)
    {
        var runs = new int[count];
        int round = 0;
        var seenRound = new int[count];
        int wrongRound = 0;
        using var team = new StepTeam(workers, count, c =>
        {
            Interlocked.Increment(ref runs[c]);
            if (seenRound[c] != Volatile.Read(ref round)) Interlocked.Increment(ref wrongRound);
            seenRound[c] = round + 1;
        });
        for (round = 0; round < 5000; round++)
        {
            team.Run();
            for (int c = 0; c < count; c++) Assert.That(runs[c], Is.EqualTo(round + 1), $"chunk {c} in round {round}");
        }
        Assert.That(wrongRound, Is.Zero, "a chunk ran in a round other than the one published");
    }

    /// <summary>Two jobs of different sizes, alternating round by round (as a step's advance and delivery do): each
    /// round runs exactly the chunks of its own job, each once.</summary>
    [TestCase(1), TestCase(2)]
    public void AlternatingJobsRunOnlyTheirOwnChunks(int workers)
    {
        var runsA = new int[7];
        var runsB = new int[3];
        using var team = new StepTeam(workers, runsA.Length, c => Interlocked.Increment(ref runsA[c]));
        int b = team.AddJob(runsB.Length, c => Interlocked.Increment(ref runsB[c]));
        Assert.That(b, Is.EqualTo(1));
        int expectedA = 0, expectedB = 0;
        for (int round = 0; round < 3000; round++)
        {
            bool runB = round % 3 == 2;
            team.Run(runB ? b : 0);
            if (runB) expectedB++;
            else expectedA++;
            Assert.That(runsA, Is.All.EqualTo(expectedA), $"job 0 after round {round}");
            Assert.That(runsB, Is.All.EqualTo(expectedB), $"job 1 after round {round}");
        }
    }

    /// <summary>A chunk's exception reaches the caller after the round has finished (no chunk still running),
    /// and the team keeps working afterwards.</summary>
    [Test]
    public void ChunkFailureIsRethrownAfterTheRoundAndTheTeamRecovers()
    {
        int running = 0, finished = 0;
        bool fail = true;
        using var team = new StepTeam(1, 16, c =>
        {
            Interlocked.Increment(ref running);
            Thread.SpinWait(2000);
            Interlocked.Increment(ref finished);
            if (fail && c == 3) throw new InvalidOperationException("chunk 3 diverged");
        });
        var e = Assert.Throws<InvalidOperationException>(() => team.Run());
        Assert.That(e!.Message, Is.EqualTo("chunk 3 diverged"));
        Assert.That(Volatile.Read(ref finished), Is.EqualTo(16), "every chunk finished before the exception was rethrown");
        fail = false;
        team.Run();
        Assert.That(Volatile.Read(ref finished), Is.EqualTo(32));
    }

    /// <summary>Workers end after <see cref="StepTeam.IdleExit"/> without work; the next round starts them again.</summary>
    [Test]
    public void RoundsAfterTheWorkersHaveEndedStillRunEveryChunk()
    {
        var threads = new HashSet<int>();
        var runs = new int[8];
        using var team = new StepTeam(1, 8, c =>
        {
            Interlocked.Increment(ref runs[c]);
            lock (threads) threads.Add(Environment.CurrentManagedThreadId);
        });
        team.Run();
        Thread.Sleep(StepTeam.IdleExit + TimeSpan.FromMilliseconds(500));
        team.Run();
        team.Run();
        Assert.That(runs, Is.All.EqualTo(3));
    }

    /// <summary>STYLE.md: no allocation per step. Each thread's allocation counter, read inside the chunks of
    /// round 100 and round 2100, does not move in between (this covers the workers' claim, spin and wait loop).</summary>
    [Test]
    public void RoundsDoNotAllocateOnAnyThread()
    {
        const int chunks = 64;
        int round = 0;
        var first = new long[chunks];
        var last = new long[chunks];
        var firstThread = new int[chunks];
        var lastThread = new int[chunks];
        using var team = new StepTeam(1, chunks, c =>
        {
            Thread.SpinWait(200);
            if (round == 100)
            {
                first[c] = GC.GetAllocatedBytesForCurrentThread();
                firstThread[c] = Environment.CurrentManagedThreadId;
            }
            else if (round == 2100)
            {
                last[c] = GC.GetAllocatedBytesForCurrentThread();
                lastThread[c] = Environment.CurrentManagedThreadId;
            }
        });
        for (round = 0; round <= 2100; round++) team.Run();
        var before = new Dictionary<int, long>();
        for (int c = 0; c < chunks; c++) before.TryAdd(firstThread[c], first[c]);
        int compared = 0;
        for (int c = 0; c < chunks; c++)
        {
            if (!before.TryGetValue(lastThread[c], out long b)) continue;
            Assert.That(last[c] - b, Is.Zero, $"thread {lastThread[c]} allocated between the rounds");
            compared++;
        }
        Assert.That(compared, Is.GreaterThan(0));
    }

    [Test]
    public void RunAfterDisposeThrows()
    {
        var team = new StepTeam(1, 2, _ => { });
        team.Run();
        team.Dispose();
        Assert.Throws<ObjectDisposedException>(() => team.Run());
    }
}
