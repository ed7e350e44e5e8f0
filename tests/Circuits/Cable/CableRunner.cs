using BioSim.Circuits.Cells;
using BioSim.Engine.Simulation;

namespace BioSim.Tests.Circuits.Cable;

/// <summary>Runs one cable population alone and samples chosen nodes of cell 0 after every step.</summary>
internal static class CableRunner
{
    public sealed record Result(double[] Times, double[][] Traces, List<double> Spikes);

    /// <param name="events">(time in ms, synapse name, weight in µS) delivered at the step NEURON would deliver them (nearest step start).</param>
    public static Result Run(CablePopulation population, double dt, double tStop, int[] nodes, IReadOnlyList<(double Time, string Synapse, double Weight)>? events = null)
    {
        var sim = new Simulator([population], [], dt);
        long steps = (long)Math.Round(tStop / dt);
        var times = new double[steps + 1];
        var traces = nodes.Select(_ => new double[steps + 1]).ToArray();
        for (int k = 0; k < nodes.Length; k++) traces[k][0] = population.V(0, nodes[k]);
        var spikes = new List<double>();
        for (long n = 0; n < steps; n++)
        {
            if (events is not null)
            {
                foreach (var (time, synapse, weight) in events)
                {
                    // NEURON delivers an event at the first step start t with time ≤ t + dt/2.
                    if ((long)Math.Ceiling(time / dt - 0.5 - 1e-9) == n) population.Input(synapse).Current[0] += weight;
                }
            }
            sim.Step();
            var last = sim.LastSpikes[0];
            for (int k = 0; k < last.Count; k++)
            {
                if (last.Ids[k] == 0) spikes.Add(last.Times[k]);
            }
            times[n + 1] = sim.Time;
            for (int k = 0; k < nodes.Length; k++) traces[k][n + 1] = population.V(0, nodes[k]);
        }
        return new Result(times, traces, spikes);
    }
}
