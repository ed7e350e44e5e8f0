using BioSim.Circuits.Populations;
using BioSim.Engine.Events;

namespace BioSim.Tests.Circuits;

/// <summary>One input spike arriving at <see cref="Time"/> (ms, on the step grid) at receptor <see cref="Receptor"/> of neuron 0.</summary>
internal readonly record struct Arrival(double Time, string Receptor, double Weight);

/// <summary>What <see cref="NeuronDriver.Run"/> saw: spike times of neuron 0 and samples of one variable.</summary>
internal sealed record DriverResult(List<double> Spikes, double[] Samples);

/// <summary>
/// Steps a population on its own (no Simulator), putting scheduled input into the receptor rings so
/// that it arrives at the start of the step that begins at the arrival time, as a projection would.
/// </summary>
internal static class NeuronDriver
{
    /// <param name="sampleEvery">Steps between samples; sample k is the value at time k·sampleEvery·dt (before that step).</param>
    public static DriverResult Run(NeuronPopulation population, double dt, double duration, IReadOnlyList<Arrival> inputs,
        int sampleEvery, string variable = "V", int neuron = 0)
    {
        population.Prepare(dt, 0);
        int steps = (int)Math.Round(duration / dt);
        var spikes = new SpikeList();
        var times = new List<double>();
        var samples = new List<double>();
        var values = population.Variable(variable);
        for (int n = 0; n < steps; n++)
        {
            if (n % sampleEvery == 0) samples.Add(values[neuron]);
            foreach (var a in inputs)
            {
                if ((int)Math.Round(a.Time / dt) == n) population.Input(a.Receptor).Current[neuron] += a.Weight;
            }
            spikes.Clear();
            population.Advance(n * dt, dt, 0, population.Size, spikes);
            population.EndStep();
            for (int k = 0; k < spikes.Count; k++)
            {
                if (spikes.Ids[k] == neuron) times.Add(spikes.Times[k]);
            }
        }
        if (steps % sampleEvery == 0) samples.Add(values[neuron]);
        return new DriverResult(times, samples.ToArray());
    }
}
