using BioSim.Engine.Random;

namespace BioSim.Plasticity.Cores;

/// <summary>Core networks by shape.</summary>
public static class CoreTopology
{
    /// <summary>
    /// The 5-core image classifier of Esser et al. (2015) as the public reimplementation pytruenorth builds it: four cores on
    /// 16 × 16 windows of a 28 × 28 image at (row, column) offsets (0, 0), (0, 12), (12, 0), (12, 12), 64 neurons each,
    /// into a fifth core of 256 output neurons (<paramref name="hidden"/> and <paramref name="outputs"/> change those counts). Axon types are spread evenly over
    /// each core's axons in a random order and each neuron's four weights are a random permutation of −2, −1, 1, 2, all
    /// from <paramref name="stream"/>.
    /// </summary>
    public static ProbabilisticCore[][] FiveCoreFrame(RandomStream stream, int hidden = 64, int outputs = 256)
    {
        (int Row, int Column)[] windows = [(0, 0), (0, 12), (12, 0), (12, 12)];
        var first = new ProbabilisticCore[4];
        for (int w = 0; w < 4; w++)
        {
            var inputs = new int[256];
            for (int a = 0; a < 256; a++) inputs[a] = (windows[w].Row + a / 16) * 28 + windows[w].Column + a % 16;
            first[w] = Random(inputs, hidden, ref stream);
        }
        var second = Random([.. Enumerable.Range(0, 4 * hidden)], outputs, ref stream);
        return [first, [second]];
    }

    /// <summary>A core reading <paramref name="inputs"/> with random axon types (balanced) and weight permutations.</summary>
    public static ProbabilisticCore Random(int[] inputs, int neurons, ref RandomStream stream)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var types = new int[inputs.Length];
        for (int i = 0; i < types.Length; i++) types[i] = i % 4;
        for (int i = types.Length - 1; i > 0; i--)
        {
            int j = (int)stream.NextUInt32((uint)(i + 1));
            (types[i], types[j]) = (types[j], types[i]);
        }
        var weights = new int[4 * neurons];
        for (int j = 0; j < neurons; j++)
        {
            int[] levels = [.. ProbabilisticCore.WeightLevels];
            for (int g = 3; g > 0; g--)
            {
                int h = (int)stream.NextUInt32((uint)(g + 1));
                (levels[g], levels[h]) = (levels[h], levels[g]);
            }
            levels.CopyTo(weights, 4 * j);
        }
        return new ProbabilisticCore(inputs, neurons, types, weights);
    }
}
