using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Tests.Engine.ExactTiming;

/// <summary>
/// A test population that emits given spike trains: element i spikes at each of <c>trains[i]</c> (ms), in the step
/// (t, t + dt] that holds the time, with that exact time. Its state is the position in each train (snapshot-able).
/// </summary>
internal sealed class TimedSource(string name, double[][] trains) : IDynamics
{
    private readonly double[] _cursor = new double[trains.Length];

    public string Name { get; } = name;

    public int Size => trains.Length;

    public IReadOnlyList<string> VariableNames { get; } = [];

    public IReadOnlyList<string> InputNames { get; } = [];

    public string UnitOf(string variable) => throw new KeyNotFoundException(variable);

    public double[] Variable(string name) => throw new KeyNotFoundException(name);

    public DelayRing Input(string name) => throw new KeyNotFoundException(name);

    public void Prepare(double dt, int maxDelaySteps)
    {
    }

    public void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        for (int i = start; i < end; i++)
        {
            var train = trains[i];
            int c = (int)_cursor[i];
            while (c < train.Length && train[c] <= t + dt)
            {
                spikes.Add(i, train[c]);
                c++;
            }
            _cursor[i] = c;
        }
    }

    public void EndStep()
    {
    }

    public void SaveState(StateSnapshot snapshot, string prefix) => snapshot.Put(prefix + "cursor", _cursor);

    public void LoadState(StateSnapshot snapshot, string prefix) => snapshot.Get(prefix + "cursor", _cursor);

    /// <summary>Poisson trains of <paramref name="rateHz"/> over [0, <paramref name="durationMs"/>) from a fixed seed.</summary>
    public static double[][] Poisson(int count, double rateHz, double durationMs, int seed)
    {
        var random = new Random(seed);
        var trains = new double[count][];
        for (int i = 0; i < count; i++)
        {
            var times = new List<double>();
            double t = 0;
            while (true)
            {
                t += -Math.Log(1 - random.NextDouble()) * 1000.0 / rateHz;
                if (t >= durationMs) break;
                times.Add(t);
            }
            trains[i] = times.ToArray();
        }
        return trains;
    }
}
