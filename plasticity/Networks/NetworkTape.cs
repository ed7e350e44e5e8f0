namespace BioSim.Plasticity.Networks;

/// <summary>
/// What one forward and backward pass of a minibatch leaves behind: per layer l (0 = input, L = output)
/// the pre-activations Z[l], activations H[l] and errors Delta[l] = ∂L/∂Z[l] as the rule sees them
/// (batch × width, row-major), plus a scratch buffer for f′. Allocated once for the largest batch.
/// </summary>
public sealed class NetworkTape
{
    internal NetworkTape(Network network, int maxBatch)
    {
        if (maxBatch <= 0) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "The batch size must be positive.");
        MaxBatch = maxBatch;
        int L = network.Layers.Count;
        Z = new double[L + 1][];
        H = new double[L + 1][];
        Delta = new double[L + 1][];
        H[0] = new double[maxBatch * network.InputSize];
        Z[0] = [];
        Delta[0] = [];
        int widest = 0;
        for (int l = 1; l <= L; l++)
        {
            int w = network.Layers[l - 1].Outputs;
            Z[l] = new double[maxBatch * w];
            H[l] = new double[maxBatch * w];
            Delta[l] = new double[maxBatch * w];
            widest = Math.Max(widest, w);
        }
        Derivative = new double[maxBatch * widest];
    }

    /// <summary>Most rows a minibatch on this tape can have.</summary>
    public int MaxBatch { get; }

    /// <summary>Rows in the current minibatch.</summary>
    public int Batch { get; internal set; }

    /// <summary>Z[l]: pre-activations z_l (Batch × width of layer l, row-major); Z[0] is empty.</summary>
    public double[][] Z { get; }

    /// <summary>H[l]: rates h_l = f(z_l) (Batch × width); H[0] is the input x.</summary>
    public double[][] H { get; }

    /// <summary>Delta[l]: errors δ_l = ∂L/∂z_l (Batch × width) as the rule propagates them; Delta[0] is empty.</summary>
    public double[][] Delta { get; }

    /// <summary>Scratch for f′(z) of one layer.</summary>
    public double[] Derivative { get; }

    /// <summary>The current minibatch's output (batch × OutputSize).</summary>
    public ReadOnlySpan<double> Output => H[^1].AsSpan(0, Batch * (H[^1].Length / MaxBatch));
}
