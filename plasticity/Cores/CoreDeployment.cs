using System.Globalization;
using BioSim.Circuits.Cores;
using BioSim.Engine.Events;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Data;

namespace BioSim.Plasticity.Cores;

/// <summary>What a deployment measured for an ensemble of the first <see cref="Copies"/> sampled copies.</summary>
/// <param name="Copies">Ensemble size N.</param>
/// <param name="TestAccuracy">Accuracy of the summed class spike counts of the N copies.</param>
/// <param name="EnergyMicrojoulesPerImage">Synaptic events of the N copies per image times the energy per event (µJ).</param>
/// <param name="SynapticEventsPerImage">Synaptic events of the N copies per image.</param>
public sealed record EnsembleResult(int Copies, double TestAccuracy, double EnergyMicrojoulesPerImage, double SynapticEventsPerImage);

/// <summary>
/// Deployment of a network trained as probabilities (Esser et al. 2015): each copy is a binary network sampled from it —
/// every crossbar connection present with its probability c_ij, leaks rounded, memoryless neurons with threshold α — and
/// runs as neurosynaptic cores in the simulation engine (<see cref="NeurosynapticCoresPopulation"/>), all copies side by
/// side in one population. Each sample is one tick: its values become input spikes (pixel value = spike probability,
/// drawn per copy), layer l answers l + 1 ticks later, and the output core's spikes are summed per class. An ensemble of
/// the first N copies classifies by the summed counts of its copies (ties to the lowest class); its energy is the
/// synaptic events of those copies times the energy per event (26 pJ by default).
/// </summary>
public static class CoreDeployment
{
    /// <summary>The cores of <paramref name="copies"/> binary copies of <paramref name="network"/>, copy after copy (copy k's cores
    /// are k·cores … (k+1)·cores − 1), each layer's neurons routed to the axons of the next layer that read them, delay 1.</summary>
    /// <exception cref="ArgumentException">A neuron is read by two axons of the next layer (a core neuron has one destination).</exception>
    public static NeurosynapticCoresParameters Sample(ProbabilisticCoreNetwork network, int copies, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        var cores = network.Layers.SelectMany(l => l).ToArray();
        // the next-layer axon that reads each neuron of a layer: (core index in the network, axon)
        var destination = new Dictionary<(int Core, int Neuron), (int Core, int Axon)>();
        int first = 0;
        for (int l = 0; l + 1 < network.Layers.Count; l++)
        {
            var owners = new List<(int Core, int Neuron)>();
            for (int k = 0; k < network.Layers[l].Length; k++)
            {
                for (int j = 0; j < network.Layers[l][k].Neurons; j++) owners.Add((first + k, j));
            }
            int next = first + network.Layers[l].Length;
            for (int k = 0; k < network.Layers[l + 1].Length; k++)
            {
                var core = network.Layers[l + 1][k];
                for (int i = 0; i < core.Axons; i++)
                {
                    if (!destination.TryAdd(owners[core.Inputs[i]], (next + k, i)))
                    {
                        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                            $"Layer {l} neuron {core.Inputs[i]} is read by two axons of layer {l + 1}; a core neuron sends its spikes to one axon only."));
                    }
                }
            }
            first = next;
        }
        var specs = new CoreSpec[copies * cores.Length];
        var stream = new RandomStream(seed, "deploy", "crossbars");
        for (int copy = 0; copy < copies; copy++)
        {
            for (int k = 0; k < cores.Length; k++)
            {
                var core = cores[k];
                var draws = stream.ForElement((uint)(copy * cores.Length + k));
                var rows = new string[core.Axons];
                var digits = new char[64];
                for (int i = 0; i < core.Axons; i++)
                {
                    Array.Fill(digits, '0');
                    for (int j = 0; j < core.Neurons; j++)
                    {
                        if (draws.NextDouble() < network.Parameters[core.Offset + i * core.Neurons + j])
                        {
                            int d = j / 4;
                            int value = Convert.ToInt32(digits[d].ToString(), 16) | (8 >> (j % 4));
                            digits[d] = "0123456789ABCDEF"[value];
                        }
                    }
                    rows[i] = new string(digits);
                }
                var weights = new int[core.Neurons][];
                var leak = new int[core.Neurons];
                for (int j = 0; j < core.Neurons; j++)
                {
                    weights[j] = core.NeuronWeights[(4 * j)..(4 * j + 4)];
                    leak[j] = (int)Math.Round(network.Parameters[core.Offset + core.Axons * core.Neurons + j]);
                }
                var routes = new List<int[]>();
                for (int j = 0; j < core.Neurons; j++)
                {
                    if (destination.TryGetValue((k, j), out var to)) routes.Add([j, copy * cores.Length + to.Core, to.Axon, 1]);
                }
                specs[copy * cores.Length + k] = new CoreSpec
                {
                    axon_types = core.AxonTypes, crossbar = rows, weights = weights, leak = leak,
                    threshold = [(int)network.Threshold], memoryless = true, routes = [.. routes],
                };
            }
        }
        return new NeurosynapticCoresParameters { cores = specs };
    }

    /// <summary>A core's axon → input map as runs of consecutive axons reading consecutive inputs (at most 64 long): a 16 × 16
    /// image window is 16 runs of 16.</summary>
    private static (int Axon, int Input, int Length)[] Runs(ProbabilisticCore core)
    {
        var runs = new List<(int, int, int)>();
        int a = 0;
        while (a < core.Axons)
        {
            int length = 1;
            while (a + length < core.Axons && length < 64 && core.Inputs[a + length] == core.Inputs[a] + length) length++;
            runs.Add((a, core.Inputs[a], length));
            a += length;
        }
        return [.. runs];
    }

    /// <summary><paramref name="length"/> (≤ 64) bits of <paramref name="bits"/> from bit <paramref name="start"/>, in the low bits.</summary>
    private static ulong Bits(ulong[] bits, int start, int length)
    {
        int word = start / 64, shift = start % 64;
        ulong value = bits[word] >> shift;
        if (shift > 0 && shift + length > 64 && word + 1 < bits.Length) value |= bits[word + 1] << (64 - shift);
        return length == 64 ? value : value & ((1UL << length) - 1);
    }

    /// <summary>
    /// Runs <paramref name="copies"/> sampled copies on <paramref name="data"/> in the engine (one tick per sample, then one
    /// per further layer) and returns the accuracy and energy of the ensembles of the first N copies for each N in
    /// <paramref name="ensembles"/>.
    /// </summary>
    public static IReadOnlyList<EnsembleResult> Run(ProbabilisticCoreNetwork network, Dataset data, int copies, IReadOnlyList<int> ensembles,
        ulong seed, int threads = 1, double energyPerEvent = 26.0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(ensembles);
        if (ensembles.Any(n => n < 1 || n > copies)) throw new ArgumentException($"ensemble sizes must lie in [1, {copies}]", nameof(ensembles));
        if (network.Layers[0].Any(c => c.Axons > 256)) throw new ArgumentException("a core has at most 256 axons", nameof(network));
        var parameters = Sample(network, copies, seed);
        int perCopy = network.Layers.Sum(l => l.Length);
        var population = new NeurosynapticCoresPopulation("cores", 256 * parameters.cores.Length, parameters);
        using var simulation = new Simulator([population], [], 1.0, threads);
        int layers = network.Layers.Count;
        int outputCore = perCopy - network.Layers[^1].Length;
        int classes = network.Classes;
        var counts = new int[copies * data.Count * classes];
        var inputStream = new RandomStream(seed, "deploy", "input");
        Span<ulong> axons = stackalloc ulong[4];
        var firstLayer = network.Layers[0];
        int[] outputOffset = [.. network.Layers[^1].Select((c, i) => network.Layers[^1].Take(i).Sum(x => x.Neurons))];
        var pixels = new ulong[(data.InputSize + 63) / 64];
        var runs = firstLayer.Select(Runs).ToArray();
        // A value p spikes when a uniform 32-bit word u < p·2³² (exact to 2⁻³²); four words per Philox block.
        var levels = new uint[data.InputSize];
        for (int tick = 0; tick < data.Count + layers - 1; tick++)
        {
            if (tick < data.Count)
            {
                var values = data.Inputs.AsSpan(tick * data.InputSize, data.InputSize);
                for (int i = 0; i < levels.Length; i++) levels[i] = (uint)Math.Min(uint.MaxValue, Math.Round(Math.Clamp(values[i], 0f, 1f) * 4294967296.0));
                ulong blocksPerSample = (ulong)(data.InputSize + 3) / 4;
                for (int copy = 0; copy < copies; copy++)
                {
                    var draws = inputStream.ForElement((uint)copy);
                    draws.Position = (ulong)tick * blocksPerSample;
                    Array.Clear(pixels);
                    int inputs = levels.Length;
                    for (int i = 0; i < inputs; i += 4)
                    {
                        var (u0, u1, u2, u3) = draws.NextBlock();
                        ulong bits = (u0 < levels[i] ? 1UL : 0)
                            | (i + 1 < inputs && u1 < levels[i + 1] ? 2UL : 0)
                            | (i + 2 < inputs && u2 < levels[i + 2] ? 4UL : 0)
                            | (i + 3 < inputs && u3 < levels[i + 3] ? 8UL : 0);
                        pixels[i / 64] |= bits << (i % 64);
                    }
                    for (int k = 0; k < firstLayer.Length; k++)
                    {
                        axons.Clear();
                        foreach (var (axon, input, length) in runs[k])
                        {
                            ulong bits = Bits(pixels, input, length);
                            axons[axon / 64] |= bits << (axon % 64);
                            if (axon % 64 + length > 64) axons[axon / 64 + 1] |= bits >> (64 - axon % 64);
                        }
                        population.Stimulate(copy * perCopy + k, axons);
                    }
                }
            }
            simulation.Step();
            int sample = tick - (layers - 1);
            if (sample < 0) continue;
            SpikeList spikes = simulation.LastSpikes[0];
            var ids = spikes.Ids;
            for (int n = 0; n < ids.Length; n++)
            {
                int core = ids[n] / 256, neuron = ids[n] % 256;
                int copy = core / perCopy, local = core % perCopy;
                if (local < outputCore) continue;
                int j = outputOffset[local - outputCore] + neuron;
                if (j < classes * network.PerClass) counts[(copy * data.Count + sample) * classes + j / network.PerClass]++;
            }
        }
        var results = new List<EnsembleResult>();
        var sum = new int[classes];
        foreach (int n in ensembles)
        {
            int correct = 0;
            for (int s = 0; s < data.Count; s++)
            {
                Array.Clear(sum);
                for (int copy = 0; copy < n; copy++)
                {
                    for (int k = 0; k < classes; k++) sum[k] += counts[(copy * data.Count + s) * classes + k];
                }
                int best = 0;
                for (int k = 1; k < classes; k++)
                {
                    if (sum[k] > sum[best]) best = k;
                }
                if (best == data.Labels![s]) correct++;
            }
            long events = 0;
            for (int c = 0; c < n * perCopy; c++) events += population.SynapticEventsOf(c);
            double perImage = (double)events / data.Count;
            results.Add(new EnsembleResult(n, (double)correct / data.Count, perImage * energyPerEvent * 1e-6, perImage));
        }
        return results;
    }
}
