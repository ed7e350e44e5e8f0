using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace BioSim.Circuits.Cores;

/// <summary>
/// One neurosynaptic core as an experiment file describes it (TrueNorth's core, Merolla et al. 2014; the model of Esser et
/// al. 2015): 256 input axons, 256 neurons, a binary 256 × 256 crossbar. Axon i has type G_i ∈ {0, 1, 2, 3}; neuron j
/// has a signed integer weight s_j,G per axon type, a leak λ_j and a threshold α_j. Each 1-ms tick,
/// V_j ← V_j + Σ_i A_i c_ij s_j,G_i + λ_j (A_i: axon i received a spike for this tick, c_ij: crossbar bit); if V_j ≥ α_j the neuron
/// spikes and resets. Its spike goes to one axon of one core after 1-15 ticks (<see cref="routes"/>), or only to the
/// output. Per-neuron fields take a single value for every neuron, or one value per neuron (a list shorter than 256 leaves
/// the remaining neurons at the default).
/// </summary>
[SuppressMessage("Performance", "CA1819:Properties should not return arrays",
    Justification = "A parameters record read from JSON; the population copies the arrays.")]
public sealed record CoreSpec
{
    /// <summary>The number of axons and of neurons of a core.</summary>
    public const int Size = 256;

    /// <summary>Weights and leaks lie in [−255, 255] (TrueNorth's 9-bit signed values).</summary>
    public const int MaxWeight = 255;

    /// <summary>Thresholds lie in [1, 2¹⁸ − 1].</summary>
    public const int MaxThreshold = (1 << 18) - 1;

    /// <summary>G_i: the type (0-3) of each axon; missing axons have type 0. Default: all 0.</summary>
    public int[]? axon_types { get; init; }

    /// <summary>The crossbar, one hexadecimal string per axon (row i), read left to right: the first digit's most
    /// significant bit is neuron 0, so "8" connects neuron 0 only and "F0" neurons 0-3. At most 256 rows of at most 64
    /// digits; missing rows and digits are 0. Default: no connections.</summary>
    public string[]? crossbar { get; init; }

    /// <summary>The crossbar as bits instead of <see cref="crossbar"/> (not read from JSON; for programs that build cores, such
    /// as a deployment sampling thousands of them): 256 × 4 words, neuron j's column in words 4j … 4j + 3, bit i % 64 of word
    /// 4j + i / 64 set when axon i connects to neuron j. Null: use <see cref="crossbar"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ulong[]? crossbar_columns { get; init; }

    /// <summary>s_j,G: per neuron four integer weights (one per axon type), or one row for every neuron. Default [[1, 1, 1, 1]].</summary>
    public int[][]? weights { get; init; }

    /// <summary>λ_j, added every tick: per neuron, or one value. Default [0].</summary>
    public int[]? leak { get; init; }

    /// <summary>α_j ≥ 1: per neuron, or one value. Default [1].</summary>
    public int[]? threshold { get; init; }

    /// <summary>After a spike: "zero" (V ← <see cref="reset_value"/>; the default), "linear" (V ← V − α) or "none".</summary>
    public string reset { get; init; } = "zero";

    /// <summary>The potential after a spike with reset "zero". Default 0.</summary>
    public int reset_value { get; init; }

    /// <summary>A lower bound of V (TrueNorth's negative threshold in saturating mode), or null for none (V saturates at −2¹⁹).</summary>
    public int? floor { get; init; }

    /// <summary>Memoryless neurons (the mode of Esser et al. 2015 used for training): V starts from 0 every tick, so a neuron
    /// spikes when this tick's input plus leak reaches its threshold. Default false.</summary>
    public bool memoryless { get; init; }

    /// <summary>Rows [neuron, core, axon, delay]: neuron's spikes reach that axon of that core (0-based) after delay ticks
    /// (1-15). A neuron without a row only emits its spikes to the output. Default: none.</summary>
    public int[][]? routes { get; init; }

    /// <summary>The first invalid field of core <paramref name="index"/> of a network of <paramref name="cores"/> cores, as
    /// "cores[index].field: problem", or null.</summary>
    /// <remarks>Compiled without optimisation: its twenty messages make it a large method whose fully optimised compilation
    /// took ~30 ms, half of a deployment's core set-up, while it runs a few thousand simple checks per core.</remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoOptimization)]
    public string? Validate(int index, int cores)
    {
        string at = $"cores[{index}]";
        if (axon_types is { Length: > Size }) return $"{at}.axon_types: {axon_types.Length} axons; a core has {Size}";
        if (axon_types is not null)
        {
            for (int i = 0; i < axon_types.Length; i++)
            {
                if (axon_types[i] is < 0 or > 3) return $"{at}.axon_types[{i}]: {axon_types[i]} is not an axon type; types are 0, 1, 2, 3";
            }
        }
        if (crossbar_columns is not null && crossbar_columns.Length != Size * Size / 64) return $"{at}.crossbar_columns: {crossbar_columns.Length} words; give {Size * Size / 64} (4 per neuron)";
        if (crossbar_columns is not null && crossbar is not null) return $"{at}.crossbar: give the crossbar as rows or as columns, not both";
        if (crossbar is { Length: > Size }) return $"{at}.crossbar: {crossbar.Length} axon rows; a core has {Size} axons";
        if (crossbar is not null)
        {
            for (int i = 0; i < crossbar.Length; i++)
            {
                string row = crossbar[i] ?? "";
                if (row.Length > Size / 4) return $"{at}.crossbar[{i}]: {row.Length} hex digits ({row.Length * 4} neurons); a core has {Size} neurons (64 digits)";
                foreach (char c in row)
                {
                    if (!Uri.IsHexDigit(c)) return $"{at}.crossbar[{i}]: '{c}' is not a hexadecimal digit";
                }
            }
        }
        string? perNeuron = PerNeuron(weights?.Length, "weights", at) ?? PerNeuron(leak?.Length, "leak", at) ?? PerNeuron(threshold?.Length, "threshold", at);
        if (perNeuron is not null) return perNeuron;
        if (weights is not null)
        {
            for (int j = 0; j < weights.Length; j++)
            {
                if (weights[j] is not { Length: 4 }) return $"{at}.weights[{j}]: give four weights, one per axon type";
                for (int g = 0; g < 4; g++)
                {
                    if (Math.Abs(weights[j][g]) > MaxWeight) return $"{at}.weights[{j}][{g}]: {weights[j][g]} is out of range; weights lie in [−{MaxWeight}, {MaxWeight}]";
                }
            }
        }
        if (leak is not null)
        {
            for (int j = 0; j < leak.Length; j++)
            {
                if (Math.Abs(leak[j]) > MaxWeight) return $"{at}.leak[{j}]: {leak[j]} is out of range; leaks lie in [−{MaxWeight}, {MaxWeight}]";
            }
        }
        if (threshold is not null)
        {
            for (int j = 0; j < threshold.Length; j++)
            {
                if (threshold[j] is < 1 or > MaxThreshold) return $"{at}.threshold[{j}]: {threshold[j]} is out of range; thresholds lie in [1, {MaxThreshold}]";
            }
        }
        if (reset is not ("zero" or "linear" or "none")) return $"{at}.reset: unknown '{reset}'; allowed: zero, linear, none";
        if (routes is not null)
        {
            var routed = new HashSet<int>();
            for (int r = 0; r < routes.Length; r++)
            {
                if (routes[r] is not { Length: 4 } row) return $"{at}.routes[{r}]: give [neuron, core, axon, delay]";
                if (row[0] is < 0 or >= Size) return $"{at}.routes[{r}]: neuron {row[0]} is not in [0, {Size})";
                if (row[1] < 0 || row[1] >= cores) return $"{at}.routes[{r}]: core {row[1]} does not exist; the network has {cores} core{(cores == 1 ? "" : "s")} (0-based)";
                if (row[2] is < 0 or >= Size) return $"{at}.routes[{r}]: axon {row[2]} is not in [0, {Size})";
                if (row[3] is < 1 or > 15) return $"{at}.routes[{r}]: delay {row[3]} ticks is out of range; delays are 1-15 ticks";
                if (!routed.Add(row[0])) return $"{at}.routes[{r}]: neuron {row[0]} is routed twice; each neuron's spikes go to exactly one axon";
            }
        }
        return null;
    }

    private static string? PerNeuron(int? length, string field, string at) => length switch
    {
        null => null,
        0 => $"{at}.{field}: empty; give one value for every neuron, or one per neuron",
        > Size => string.Create(CultureInfo.InvariantCulture, $"{at}.{field}: {length} neurons; a core has {Size}"),
        _ => null,
    };
}
