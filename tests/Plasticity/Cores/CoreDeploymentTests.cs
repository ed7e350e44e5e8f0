using BioSim.Circuits.Cores;
using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Cores;
using BioSim.Plasticity.Data;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity.Cores;

/// <summary>
/// Deployment (issue 16, item 3, and its Speed section): the fast paths against their definitions. The vectorised input
/// draws equal the pixel-by-pixel definition bit for bit; and the copy-major batched deployment (each copy its own
/// population, ticked through <see cref="NeurosynapticCoresPopulation.Tick()"/>, on two threads) gives the same class spike
/// counts and synaptic events as all copies side by side in one population stepped by the engine's simulator with spike
/// lists, fed with the definition's input spikes.
/// </summary>
[TestFixture]
public sealed class CoreDeploymentTests
{
    /// <summary>8-bit values n/255 get the threshold 257·n, so the spike probability 257·n/65535 is n/255 exactly.</summary>
    [Test]
    public void EightBitPixelsSpikeWithTheirValueExactly()
    {
        var values = new float[256];
        for (int n = 0; n < 256; n++) values[n] = n / 255f;
        var thresholds = new ushort[256];
        CoreInputSpikes.Thresholds(values.AsSpan(0, 256), thresholds);
        for (int n = 0; n < 256; n++) Assert.That(thresholds[n], Is.EqualTo(257 * n), $"value {n}/255");
    }

    /// <summary>The vectorised thresholds (eight values per AVX-512 vector) equal the scalar definition round(clamp(x, 0, 1) ·
    /// 65535) in double precision, ties to even, on random floats, values outside [0, 1], exact ties (k + ½)/65535 and a
    /// length that is not a multiple of eight.</summary>
    [Test]
    public void VectorisedThresholdsEqualTheDefinition()
    {
        var random = new Random(9);
        const int length = 1003;
        var values = new float[length];
        for (int p = 0; p < length; p++)
        {
            values[p] = (p % 4) switch
            {
                0 => (float)random.NextDouble(),
                1 => (float)(random.NextDouble() * 1.4 - 0.2),
                2 => (float)((random.Next(65535) + 0.5) / 65535.0),
                _ => random.Next(256) / 255f,
            };
        }
        var thresholds = new ushort[CoreInputSpikes.PaddedLength(length)];
        CoreInputSpikes.Thresholds(values, thresholds);
        for (int p = 0; p < length; p++)
        {
            Assert.That(thresholds[p], Is.EqualTo((ushort)Math.Round(Math.Clamp((double)values[p], 0.0, 1.0) * 65535.0)), $"value {values[p]:R}");
        }
        Assert.That(thresholds.AsSpan(length).ContainsAnyExcept((ushort)0), Is.False, "the padding never spikes");
    }

    /// <summary>
    /// <see cref="CoreCrossbarDraws.Sample"/> (32 draws per eight Philox blocks in AVX-512 lanes) equals
    /// <see cref="CoreCrossbarDraws.SampleReference"/> bit for bit for cores of 256 × 64, 256 × 256, 64 × 32 and (the
    /// reference path) 40 × 30, with probabilities that include 0, 1 and values a hair either side of a 2⁻³² step; and the
    /// fraction of connections present matches the mean probability within 4 binomial standard errors.
    /// </summary>
    [TestCase(256, 64)]
    [TestCase(256, 256)]
    [TestCase(64, 32)]
    [TestCase(40, 30)]
    public void VectorisedCrossbarDrawsEqualTheDefinition(int axons, int neurons)
    {
        var random = new Random(axons + neurons);
        var c = new double[axons * neurons];
        for (int n = 0; n < c.Length; n++)
        {
            c[n] = (n % 5) switch { 0 => 0.0, 1 => 1.0, 2 => random.Next(1 << 20) / (double)(1 << 20) + 1e-12, _ => random.NextDouble() };
        }
        var fast = new ulong[1024];
        var reference = new ulong[1024];
        long present = 0;
        double expected = 0;
        for (uint element = 0; element < 6; element++)
        {
            CoreCrossbarDraws.Sample(17, element, c, axons, neurons, fast);
            CoreCrossbarDraws.SampleReference(17, element, c, axons, neurons, reference);
            Assert.That(fast, Is.EqualTo(reference), $"element {element}");
            present += fast.Sum(w => (long)System.Numerics.BitOperations.PopCount(w));
            expected += c.Sum();
        }
        double error = Math.Sqrt(6 * c.Length * 0.25);
        Assert.That(present, Is.EqualTo(expected).Within(4 * error));
        Assert.That(fast.AsSpan(4 * neurons).ContainsAnyExcept(0UL), Is.False, "no connection of a neuron the core does not have");
    }

    /// <summary>
    /// <see cref="CoreInputSpikes.Sample"/> (eight Philox blocks per AVX-512 vector, or four per AVX2 vector, skipping blocks of
    /// 64 pixels that are all 0 or all 1) equals <see cref="CoreInputSpikes.SampleReference"/> bit for bit on 1.6 M draws
    /// (about 24 of them redraws of 65535, 1 in 65536), and the spike frequency of each threshold level matches T/65535
    /// within 4 binomial standard errors.
    /// </summary>
    [Test]
    public void VectorisedInputDrawsEqualTheDefinition()
    {
        var random = new Random(5);
        const int pixels = 784, samples = 256, copies = 8;
        int padded = CoreInputSpikes.PaddedLength(pixels);
        var values = new float[samples * pixels];
        for (int s = 0; s < samples; s++)
        {
            for (int p = 0; p < pixels; p++)
            {
                // a blank first 128 pixels in half the samples, a saturated block in a quarter, else 8-bit levels
                values[s * pixels + p] = p < 128 && s % 2 == 0 ? 0f : p >= 256 && p < 320 && s % 4 == 1 ? 1f : random.Next(256) / 255f;
            }
        }
        var thresholds = new ushort[padded];
        var fast = new ulong[padded / 64];
        var reference = new ulong[padded / 64];
        long spikes = 0;
        double expected = 0;
        for (int s = 0; s < samples; s++)
        {
            CoreInputSpikes.Thresholds(values.AsSpan(s * pixels, pixels), thresholds);
            for (uint copy = 0; copy < copies; copy++)
            {
                CoreInputSpikes.Sample(42, copy, (uint)s, thresholds, fast);
                CoreInputSpikes.SampleReference(42, copy, (uint)s, thresholds, reference);
                Assert.That(fast, Is.EqualTo(reference), $"sample {s}, copy {copy}");
                spikes += fast.Sum(w => (long)System.Numerics.BitOperations.PopCount(w));
                for (int p = 0; p < pixels; p++) expected += thresholds[p] / 65535.0;
            }
        }
        int draws = samples * copies * pixels;
        double error = Math.Sqrt(draws * 0.25);
        TestContext.Out.WriteLine($"{spikes} spikes, expected {expected:F0} ± {error:F0}");
        Assert.That(spikes, Is.EqualTo(expected).Within(4 * error));
    }

    /// <summary>A 3-layer network: four cores on 8 × 8 windows of a 10 × 10 input (20 neurons each), a middle core of 40 neurons
    /// reading all 80, an output core of 30 neurons (3 classes × 10) reading the middle's 40; random c and leaks.</summary>
    private static ProbabilisticCoreNetwork Network()
    {
        var stream = new RandomStream(3, "cores-test", "deploy");
        var first = new ProbabilisticCore[4];
        (int Row, int Column)[] windows = [(0, 0), (0, 2), (2, 0), (2, 2)];
        for (int w = 0; w < 4; w++)
        {
            var inputs = new int[64];
            for (int a = 0; a < 64; a++) inputs[a] = (windows[w].Row + a / 8) * 10 + windows[w].Column + a % 8;
            first[w] = CoreTopology.Random(inputs, 20, ref stream);
        }
        var middle = CoreTopology.Random([.. Enumerable.Range(0, 80)], 40, ref stream);
        var output = CoreTopology.Random([.. Enumerable.Range(0, 40)], 30, ref stream);
        var net = new ProbabilisticCoreNetwork([first, [middle], [output]], 100, 3, 10, new ManagedMatrixProduct());
        foreach (var core in first.Append(middle).Append(output))
        {
            for (int k = 0; k < core.Axons * core.Neurons; k++) net.Parameters[core.Offset + k] = stream.NextDouble();
            for (int j = 0; j < core.Neurons; j++) net.Parameters[core.Offset + core.Axons * core.Neurons + j] = 4 * stream.NextDouble() - 2;
        }
        return net;
    }

    [Test]
    public void TheBatchedDeploymentEqualsTheEngineStepByStep()
    {
        var net = Network();
        var random = new Random(7);
        const int samples = 60, copies = 5;
        const ulong seed = 11;
        var inputs = new float[samples * 100];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = random.Next(3) == 0 ? 0f : random.Next(256) / 255f;
        var data = new Dataset("random", 100, inputs, [.. Enumerable.Range(0, samples).Select(_ => random.Next(3))], 3);
        var (counts, events) = CoreDeployment.ClassCounts(net, data, copies, seed, threads: 2);

        // the engine: every copy side by side in one population, stepped by the simulator, spikes read from its spike lists
        var parameters = CoreDeployment.Sample(net, copies, seed);
        var population = new NeurosynapticCoresPopulation("cores", 256 * parameters.cores.Length, parameters);
        using var simulation = new Simulator([population], [], 1.0, 1);
        int perCopy = 6, layers = 3, outputCore = 5;
        var expected = new short[copies * samples * 3];
        var thresholds = new ushort[CoreInputSpikes.PaddedLength(100)];
        var pixels = new ulong[thresholds.Length / 64];
        for (int tick = 0; tick < samples + layers - 1; tick++)
        {
            if (tick < samples)
            {
                CoreInputSpikes.Thresholds(inputs.AsSpan(tick * 100, 100), thresholds);
                for (int copy = 0; copy < copies; copy++)
                {
                    CoreInputSpikes.SampleReference(seed, (uint)copy, (uint)tick, thresholds, pixels);
                    for (int k = 0; k < 4; k++)
                    {
                        var axons = new ulong[4];
                        var core = net.Layers[0][k];
                        for (int i = 0; i < core.Axons; i++)
                        {
                            if ((pixels[core.Inputs[i] / 64] >> (core.Inputs[i] % 64) & 1) != 0) axons[i / 64] |= 1UL << (i % 64);
                        }
                        population.Stimulate(copy * perCopy + k, axons);
                    }
                }
            }
            simulation.Step();
            int sample = tick - (layers - 1);
            if (sample < 0) continue;
            var spikes = simulation.LastSpikes[0];
            for (int n = 0; n < spikes.Count; n++)
            {
                int core = spikes.Ids[n] / 256, neuron = spikes.Ids[n] % 256;
                if (core % perCopy != outputCore) continue;
                expected[(core / perCopy * samples + sample) * 3 + neuron / 10]++;
            }
        }
        Assert.That(expected.Sum(x => x), Is.GreaterThan(samples * copies), "the output spikes");
        Assert.That(counts, Is.EqualTo(expected), "class spike counts of every copy and sample");
        for (int copy = 0; copy < copies; copy++)
        {
            long engine = 0;
            for (int c = 0; c < perCopy; c++) engine += population.SynapticEventsOf(copy * perCopy + c);
            Assert.That(events[copy], Is.EqualTo(engine), $"synaptic events of copy {copy}");
        }
        var one = CoreDeployment.ClassCounts(net, data, copies, seed, threads: 1);
        Assert.That(one.Counts, Is.EqualTo(counts), "one thread");
    }
}
