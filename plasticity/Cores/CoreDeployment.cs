using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using BioSim.Circuits.Cores;
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
/// runs as neurosynaptic cores (<see cref="NeurosynapticCoresPopulation"/>, the engine's cores, through their batched
/// <see cref="NeurosynapticCoresPopulation.Tick()"/>). Each sample is one tick: its values become input spikes
/// (<see cref="CoreInputSpikes"/>: pixel value = spike probability, drawn per copy), layer l answers l + 1 ticks later, and
/// the output core's spikes are summed per class. An ensemble of the first N copies classifies by the summed counts of its
/// copies (ties to the lowest class); its energy is the synaptic events of those copies times the energy per event (26 pJ
/// by default).
/// <para>
/// Copies do not talk to each other, so each runs as a population of its own through the whole test set before the next
/// (its weight rows, 256 KB for the 5-core network, stay in cache), on <c>threads</c> threads over copies; every draw is a
/// function of (seed, copy, core or sample, axon or pixel), so the results do not depend on the thread count.
/// </para>
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
        var destination = Destinations(network);
        int perCopy = network.Layers.Sum(l => l.Length);
        var specs = new CoreSpec[copies * perCopy];
        for (int copy = 0; copy < copies; copy++) SampleCopy(network, destination, copy, copy * perCopy, seed).CopyTo(specs, copy * perCopy);
        return new NeurosynapticCoresParameters { cores = specs };
    }

    /// <summary>The next-layer axon that reads each neuron: [core index in the network][neuron] = (core, axon), core −1 for a
    /// neuron no axon reads (arrays rather than a dictionary: less to compile at start-up).</summary>
    private static (int Core, int Axon)[][] Destinations(ProbabilisticCoreNetwork network)
    {
        var cores = network.Layers.SelectMany(l => l).ToArray();
        var destination = new (int Core, int Axon)[cores.Length][];
        for (int k = 0; k < cores.Length; k++)
        {
            destination[k] = new (int, int)[cores[k].Neurons];
            Array.Fill(destination[k], (-1, 0));
        }
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
                    var (owner, neuron) = owners[core.Inputs[i]];
                    if (destination[owner][neuron].Core >= 0)
                    {
                        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                            $"Layer {l} neuron {core.Inputs[i]} is read by two axons of layer {l + 1}; a core neuron sends its spikes to one axon only."));
                    }
                    destination[owner][neuron] = (next + k, i);
                }
            }
            first = next;
        }
        return destination;
    }

    /// <summary>The cores of copy <paramref name="copy"/>, routed to cores numbered from <paramref name="firstCore"/>: the
    /// crossbar of core k is drawn by <see cref="CoreCrossbarDraws"/> for element copy·cores + k.</summary>
    private static CoreSpec[] SampleCopy(ProbabilisticCoreNetwork network, (int Core, int Axon)[][] destination,
        int copy, int firstCore, ulong seed)
    {
        var cores = network.Layers.SelectMany(l => l).ToArray();
        var specs = new CoreSpec[cores.Length];
        for (int k = 0; k < cores.Length; k++)
        {
            var core = cores[k];
            var columns = new ulong[256 * 4];
            CoreCrossbarDraws.Sample(seed, (uint)(copy * cores.Length + k), network.Parameters.AsSpan(core.Offset, core.Axons * core.Neurons),
                core.Axons, core.Neurons, columns);
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
                var to = destination[k][j];
                if (to.Core >= 0) routes.Add([j, firstCore + to.Core, to.Axon, 1]);
            }
            specs[k] = new CoreSpec
            {
                axon_types = core.AxonTypes, crossbar_columns = columns, weights = weights, leak = leak,
                threshold = [(int)network.Threshold], memoryless = true, routes = [.. routes],
            };
        }
        return specs;
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


    /// <summary>Runs merged into gathers of one PEXT each: consecutive runs whose axons follow each other (at most 64 in all)
    /// and whose inputs lie within the 64 − (first input mod 8) bits read from byte ⌊first input / 8⌋; the mask has the
    /// runs' inputs relative to the first. A 16 × 16 window of a 28-pixel-wide image is 8 gathers of two rows. Null when a
    /// run does not fit in the bits read for it (longer than 64 − its first input mod 8): the core then takes its runs.</summary>
    private static (int Axon, int Byte, int Shift, ulong Mask)[]? Gathers((int Axon, int Input, int Length)[] runs)
    {
        var gathers = new List<(int, int, int, ulong)>();
        for (int r = 0; r < runs.Length;)
        {
            var (axon, first, length0) = runs[r];
            int shift = first % 8, total = 0;
            if (length0 > 64 - shift) return null;
            ulong mask = 0;
            while (r < runs.Length && runs[r].Axon == axon + total && total + runs[r].Length <= 64
                && runs[r].Input >= first && runs[r].Input - first + runs[r].Length <= 64 - shift)
            {
                int length = runs[r].Length;
                mask |= (length == 64 ? ulong.MaxValue : (1UL << length) - 1) << (runs[r].Input - first);
                total += length;
                r++;
            }
            gathers.Add((axon, first / 8, shift, mask));
        }
        return [.. gathers];
    }

    /// <summary>
    /// Runs <paramref name="copies"/> sampled copies on <paramref name="data"/> (one tick per sample, then one per further
    /// layer) and returns the accuracy and energy of the ensembles of the first N copies for each N in
    /// <paramref name="ensembles"/>.
    /// </summary>
    public static IReadOnlyList<EnsembleResult> Run(ProbabilisticCoreNetwork network, Dataset data, int copies, IReadOnlyList<int> ensembles,
        ulong seed, int threads = 1, double energyPerEvent = 26.0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(ensembles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (ensembles.Any(n => n < 1 || n > copies)) throw new ArgumentException($"ensemble sizes must lie in [1, {copies}]", nameof(ensembles));
        if (network.Layers[0].Any(c => c.Axons > 256)) throw new ArgumentException("a core has at most 256 axons", nameof(network));
        int classes = network.Classes;
        var (counts, events) = ClassCounts(network, data, copies, seed, threads);
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
            long total = events.AsSpan(0, n).ToArray().Sum();
            double perImage = (double)total / data.Count;
            results.Add(new EnsembleResult(n, (double)correct / data.Count, perImage * energyPerEvent * 1e-6, perImage));
        }
        return results;
    }

    /// <summary>
    /// The class spike counts of <paramref name="copies"/> sampled copies on every sample of <paramref name="data"/> (index
    /// (copy · samples + sample) · classes + class) and each copy's synaptic events.
    /// </summary>
    public static (short[] Counts, long[] Events) ClassCounts(ProbabilisticCoreNetwork network, Dataset data, int copies, ulong seed, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(copies);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (network.Layers[0].Any(c => c.Axons > 256)) throw new ArgumentException("a core has at most 256 axons", nameof(network));
        int classes = network.Classes;
        var counts = new short[copies * data.Count * classes];
        var events = new long[copies];
        int padded = CoreInputSpikes.PaddedLength(data.InputSize);
        var thresholds = new ushort[data.Count * padded];
        for (int s = 0; s < data.Count; s++)
        {
            CoreInputSpikes.Thresholds(data.Inputs.AsSpan(s * data.InputSize, data.InputSize), thresholds.AsSpan(s * padded, padded));
        }
        var destination = Destinations(network);
        Parallel.For(0, copies, new ParallelOptions { MaxDegreeOfParallelism = threads },
            copy => events[copy] = RunCopy(network, data, destination, thresholds, copy, seed, counts.AsSpan(copy * data.Count * classes, data.Count * classes)));
        return (counts, events);
    }

    /// <summary>Copy <paramref name="copy"/> through the whole data set: its class spike counts per sample into
    /// <paramref name="counts"/>; returns its synaptic events.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // one long loop per copy: optimised from the first call
    private static long RunCopy(ProbabilisticCoreNetwork network, Dataset data, (int Core, int Axon)[][] destination,
        ushort[] thresholds, int copy, ulong seed, Span<short> counts)
    {
        int perCopy = network.Layers.Sum(l => l.Length);
        var population = new NeurosynapticCoresPopulation($"copy {copy}", 256 * perCopy,
            new NeurosynapticCoresParameters { cores = SampleCopy(network, destination, copy, 0, seed) });
        int layers = network.Layers.Count, classes = network.Classes;
        var firstLayer = network.Layers[0];
        var outputLayer = network.Layers[^1];
        int outputCore = perCopy - outputLayer.Length;
        // per output core and class, the neurons that count for the class (25 per class in the 5-core network)
        var classMasks = new ulong[outputLayer.Length * classes * 4];
        for (int o = 0, j = 0; o < outputLayer.Length; o++)
        {
            for (int n = 0; n < outputLayer[o].Neurons; n++, j++)
            {
                if (j < classes * network.PerClass) classMasks[(o * classes + j / network.PerClass) * 4 + n / 64] |= 1UL << (n % 64);
            }
        }
        var runs = firstLayer.Select(Runs).ToArray();
        var gathers = runs.Select(Gathers).ToArray();
        bool pext = Bmi2.X64.IsSupported;
        int padded = CoreInputSpikes.PaddedLength(data.InputSize);
        Span<ulong> pixels = stackalloc ulong[padded / 64 + 1];   // a zero word past the end: a run or gather may read into it
        pixels.Clear();
        Span<ulong> axons = stackalloc ulong[5];                   // a fifth word that a run may spill into (always 0)
        for (int tick = 0; tick < data.Count + layers - 1; tick++)
        {
            if (tick < data.Count)
            {
                CoreInputSpikes.Sample(seed, (uint)copy, (uint)tick, thresholds.AsSpan(tick * padded, padded), pixels);
                ref byte bytes = ref Unsafe.As<ulong, byte>(ref MemoryMarshal.GetReference(pixels));
                for (int k = 0; k < firstLayer.Length; k++)
                {
                    axons.Clear();
                    if (pext && gathers[k] is { } gather)
                    {
                        foreach (var (axon, at, shift, mask) in gather)
                        {
                            // 64 pixels from byte `at` on (the buffer holds 8 bytes past the last pixel), the gather's bits pulled
                            // together (PEXT) and placed at its axons (a fifth axon word that stays 0)
                            ulong bits = Bmi2.X64.ParallelBitExtract(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, at)) >> shift, mask);
                            axons[axon / 64] |= bits << (axon % 64);
                            if (axon % 64 != 0) axons[axon / 64 + 1] |= bits >> (64 - axon % 64);
                        }
                        population.Stimulate(k, axons[..4]);
                        continue;
                    }
                    foreach (var (axon, input, length) in runs[k])
                    {
                        // the run's bits (a zero word past the pixels' end), placed at its axons (a fifth axon word that stays 0)
                        int word = input / 64, shift = input % 64;
                        ulong bits = shift == 0 ? pixels[word] : pixels[word] >> shift | pixels[word + 1] << (64 - shift);
                        if (length < 64) bits &= (1UL << length) - 1;
                        axons[axon / 64] |= bits << (axon % 64);
                        if (axon % 64 != 0) axons[axon / 64 + 1] |= bits >> (64 - axon % 64);
                    }
                    population.Stimulate(k, axons[..4]);
                }
            }
            population.Tick();
            int sample = tick - (layers - 1);
            if (sample < 0) continue;
            for (int o = 0; o < outputLayer.Length; o++)
            {
                var fired = population.Fired(outputCore + o);
                if (!fired.ContainsAnyExcept(0UL)) continue;
                for (int k = 0; k < classes; k++)
                {
                    var mask = classMasks.AsSpan((o * classes + k) * 4, 4);
                    counts[sample * classes + k] += (short)(BitOperations.PopCount(fired[0] & mask[0]) + BitOperations.PopCount(fired[1] & mask[1])
                        + BitOperations.PopCount(fired[2] & mask[2]) + BitOperations.PopCount(fired[3] & mask[3]));
                }
            }
        }
        return population.SynapticEvents;
    }
}
