using System.Diagnostics.CodeAnalysis;

namespace BioSim.Engine.Simulation;

/// <summary>
/// A fixed set of worker threads that run the chunks of one step together with the calling thread.
/// <para>
/// Why not <c>Parallel.For</c>: handing each step to the thread pool costs several microseconds, as much as a
/// whole step of a 4000-neuron network. Here a round costs one interlocked write to publish and one per chunk
/// to claim. Chunks are claimed dynamically (a descheduled worker on a busy machine does not stall the step),
/// which never changes the result: each chunk writes only its own output, merged in chunk order afterwards.
/// </para>
/// <para>
/// Each thread has a home range of chunks (the caller the first, worker w the (w + 2)-th of equal contiguous
/// ranges) and claims from it first; only then does it take what is left in the others' ranges. So from one step to
/// the next a chunk runs on the same core and finds its state in that core's cache. (With one shared counter the
/// chunks landed on the cores at random: 100 cable cells, whose 0.8 MB of state fits two 512 KiB L2 caches but
/// not one, ran 1.35× faster on two threads than on one; with home ranges, see benchmarks/RESULTS.md.)
/// </para>
/// <para>
/// Workers spin (yielding, never sleeping) for a short while after a round, since the next one follows
/// within microseconds; then they block on a semaphore, and after <see cref="IdleExit"/> without work
/// they end, so a simulation that is dropped without disposal leaves no thread behind. The next round
/// starts them again.
/// </para>
/// <para>
/// A team can run several jobs (<see cref="AddJob"/>), one per round: the simulation advances its cells in one and
/// delivers the step's spikes, split by target range, in another. Each job has its own chunk count and home ranges.
/// </para>
/// </summary>
public sealed class StepTeam : IDisposable
{
    /// <summary>How long a blocked worker waits for work before its thread ends.</summary>
    public static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(1);

    /// <summary>Yielding spins before a worker blocks (~tens of µs: longer than the sequential part of a step).</summary>
    private const int SpinsBeforeBlocking = 200;

    private readonly List<(int Count, Action<int> Run, int[] HomeStart)> _jobs = [];
    private readonly Worker[] _workers;
    private readonly Lock _lock = new();

    // High 32 bits: the round; low 32 bits: the job it runs.
    private long _state;
    // One counter per thread (caller = 0, worker w = w + 1), a cache line apart: high 32 bits the round, low 32 bits
    // the next chunk of that thread's home range [homeStart[t], homeStart[t + 1]) of the round's job.
    private readonly long[] _next;
    private const int Stride = 16;
    private int _done;
    private Exception? _failure;
    private bool _disposed;

    /// <param name="workers">Threads besides the caller's.</param>
    /// <param name="count">Chunks per round.</param>
    /// <param name="run">Runs chunk c; called from several threads at once, never twice for the same chunk in a round.
    /// This is job 0; <see cref="AddJob"/> adds others.</param>
    public StepTeam(int workers, int count, Action<int> run)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _workers = new Worker[workers];
        for (int w = 0; w < workers; w++) _workers[w] = new Worker(this, w);
        _next = new long[(workers + 1) * Stride];
        AddJob(count, run);
    }

    /// <summary>Threads of the team, the caller's included.</summary>
    public int Threads => _workers.Length + 1;

    /// <summary>Adds a job of <paramref name="count"/> chunks run by <paramref name="run"/> (called as for the constructor's
    /// job) and returns its number for <see cref="Run(int)"/>. Thread t's home range is the t-th of equal contiguous ranges.
    /// Not thread-safe: add jobs before the first round.</summary>
    public int AddJob(int count, Action<int> run)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int threads = Threads;
        var homeStart = new int[threads + 1];
        for (int t = 0; t <= threads; t++) homeStart[t] = (int)((long)count * t / threads);
        _jobs.Add((count, run, homeStart));
        return _jobs.Count - 1;
    }

    /// <summary>Starts the worker threads that are not running (each then waits for a round, and ends after
    /// <see cref="IdleExit"/> without one, as always): a simulation calls it while it is being set up, so that the first step
    /// that uses the team does not wait for threads to start and compile their loop.</summary>
    public void StartWorkers()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var worker in _workers) worker.Wake(joinCurrentRound: false);
    }

    /// <summary>Runs every chunk of job <paramref name="job"/> (0: the constructor's) once, on the workers and the calling
    /// thread; returns when all are done. An exception thrown by a chunk is rethrown here (the first one) after the round
    /// has finished.</summary>
    public void Run(int job = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var homeStart = _jobs[job].HomeStart;
        _done = 0;
        _failure = null;
        long round = (Volatile.Read(ref _state) >> 32) + 1;
        for (int t = 0; t + 1 < homeStart.Length; t++) Volatile.Write(ref _next[t * Stride], round << 32 | (uint)homeStart[t]);
        Interlocked.Exchange(ref _state, round << 32 | (uint)job); // full fence: everything written before is visible to a worker that sees the round
        foreach (var worker in _workers) worker.Wake();

        Claim(round, job, 0);
        int count = _jobs[job].Count;
        var spin = new SpinWait();
        while (Volatile.Read(ref _done) < count) spin.SpinOnce(sleep1Threshold: -1);
        if (_failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Claims and runs chunks of <paramref name="round"/>, from thread <paramref name="home"/>'s own range first, then
    /// from the others', until none is left (or a newer round began).
    /// </summary>
    private void Claim(long round, int job, int home)
    {
        var (_, run, homeStart) = _jobs[job];
        int threads = homeStart.Length - 1;
        for (int k = 0; k < threads; k++)
        {
            int t = (home + k) % threads;
            int end = homeStart[t + 1];
            ref long next = ref _next[t * Stride];
            while (true)
            {
                long state = Volatile.Read(ref next);
                if (state >> 32 != round) return;
                int chunk = (int)(state & 0xFFFF_FFFF);
                if (chunk >= end) break;
                if (Interlocked.CompareExchange(ref next, state + 1, state) != state) continue;
                try
                {
                    run(chunk);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }
                Interlocked.Increment(ref _done);
            }
        }
    }

    /// <summary>Ends the workers without waiting for them: a blocked worker is released, and each thread ends once it
    /// has finished the chunk it is running. <see cref="Run"/> throws <see cref="ObjectDisposedException"/> afterwards.</summary>
    public void Dispose()
    {
        lock (_lock) _disposed = true;
        foreach (var worker in _workers) worker.Wake();
    }

    [SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable",
        Justification = "The semaphore outlives the worker's threads on purpose: a thread may still be in Wait, or Wake about to Release, when the team is disposed, and a disposed semaphore would throw there. SemaphoreSlim holds no OS handle unless AvailableWaitHandle is read, which this class never does, so the GC frees all of it.")]
    private sealed class Worker(StepTeam team, int index)
    {
        private readonly SemaphoreSlim _wake = new(0);
        private Thread? _thread;
        private long _seen;
        private int _blocked;

        /// <summary>Starts the thread if it ended, or releases it if it is blocked. A thread started here takes part in the
        /// round just published (<paramref name="joinCurrentRound"/>), or waits for the next one.</summary>
        public void Wake(bool joinCurrentRound = true)
        {
            if (Volatile.Read(ref _thread) is null)
            {
                lock (team._lock)
                {
                    if (_thread is null && !team._disposed)
                    {
                        _seen = (Volatile.Read(ref team._state) >> 32) - (joinCurrentRound ? 1 : 0);
                        _thread = new Thread(Loop) { IsBackground = true, Name = $"BioSim step worker {index}" };
                        _thread.Start();
                    }
                }
                return;
            }
            if (Volatile.Read(ref _blocked) != 0) _wake.Release();
        }

        private void Loop()
        {
            while (true)
            {
                long state = WaitForRound();
                if (state < 0) return;
                _seen = state >> 32;
                team.Claim(_seen, (int)(state & 0xFFFF_FFFF), index + 1);
            }
        }

        /// <summary>The next round's state word (round and job), or −1 when the thread should end (disposed, or idle too long).</summary>
        private long WaitForRound()
        {
            var spin = new SpinWait();
            int spins = 0;
            while (true)
            {
                long state = Volatile.Read(ref team._state);
                if (state >> 32 != _seen) return state;
                if (team._disposed) return Exit();
                if (spins++ < SpinsBeforeBlocking)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                Interlocked.Exchange(ref _blocked, 1);
                // Re-check after announcing: a round published before the announcement is seen here, and one
                // published after it releases the semaphore.
                bool woken = Volatile.Read(ref team._state) >> 32 != _seen || team._disposed || _wake.Wait(IdleExit);
                Interlocked.Exchange(ref _blocked, 0);
                if (!woken)
                {
                    lock (team._lock)
                    {
                        if (Volatile.Read(ref team._state) >> 32 == _seen) return Exit();
                    }
                }
                spins = 0;
                spin.Reset();
            }
        }

        /// <summary>Called with the team's lock held, or when disposed: the next <see cref="Wake"/> starts a new thread.</summary>
        private long Exit()
        {
            _thread = null;
            return -1;
        }
    }
}
