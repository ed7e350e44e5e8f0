namespace BioSim.Plasticity.Networks.Token;

/// <summary>
/// The buffers of one forward and backward pass of a <see cref="TokenModel"/>, allocated once for the largest batch.
/// Per block j the tape retains its input X[j] (all tokens: the depthwise convolution's weight gradient reads it) and
/// the per-token MLP's activations x̂, 1/σ, LN output U, pre-activation Z₁ and GELU output G at the rows of the
/// block's token list only (compact rows b·K + k): all tokens for an unmasked block, the kept ones for a masked block.
/// <see cref="Retained"/> counts the values the backward pass reads, as the forward pass writes them. That is what autograd
/// saves for the official SBP code (amazon-science/stochastic-backpropagation, BlockSBP.forward_mlp_sbp) on the same model,
/// less one value per token and LayerNorm (autograd keeps a LayerNorm's input, mean and 1/σ; this tape keeps x̂ and 1/σ):
/// tests/reference/torch_sbp_saved_tensors.py counts autograd's, StochasticBackpropTests checks the difference. The buffers
/// themselves are allocated for every token of every block, so the ledger is what an implementation that sizes them to the
/// kept tokens would hold, not this process's allocation.
/// </summary>
public sealed class TokenTape
{
    internal TokenTape(TokenModelSpec spec, int maxBatch)
    {
        if (maxBatch <= 0) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "The batch size must be positive.");
        MaxBatch = maxBatch;
        int rows = maxBatch * spec.Tokens, c = spec.Width, h = spec.Hidden, L = spec.Blocks;
        Patches = new double[rows * spec.PatchSize];
        StemXhat = new double[rows * c];
        StemRstd = new double[rows];
        X = [.. Enumerable.Range(0, L + 1).Select(_ => new double[rows * c])];
        Xhat = [.. Enumerable.Range(0, L).Select(_ => new double[rows * c])];
        Rstd = [.. Enumerable.Range(0, L).Select(_ => new double[rows])];
        U = [.. Enumerable.Range(0, L).Select(_ => new double[rows * c])];
        Z1 = [.. Enumerable.Range(0, L).Select(_ => new double[rows * h])];
        G = [.. Enumerable.Range(0, L).Select(_ => new double[rows * h])];
        Tokens = new int[L][];
        Full = [.. Enumerable.Range(0, spec.Tokens)];
        Conv = new double[rows * c];
        ScratchXhat = new double[rows * c];
        ScratchRstd = new double[rows];
        ScratchU = new double[rows * c];
        ScratchZ1 = new double[rows * h];
        ScratchG = new double[rows * h];
        Out = new double[rows * c];
        Pool = new double[maxBatch * c];
        HeadXhat = new double[maxBatch * c];
        HeadRstd = new double[maxBatch];
        HeadU = new double[maxBatch * c];
        Logits = new double[maxBatch * spec.Classes];
        GradLogits = new double[maxBatch * spec.Classes];
        GradA = new double[rows * c];
        GradB = new double[rows * c];
        GradM = new double[rows * c];
        GradH = new double[rows * h];
        GradU = new double[rows * c];
        GradD = new double[rows * c];
        GradPool = new double[maxBatch * c];
        GradHeadU = new double[maxBatch * c];
        Identity = [0];
    }

    /// <summary>Most images a batch on this tape can have.</summary>
    public int MaxBatch { get; }

    /// <summary>Images in the current batch.</summary>
    public int Batch { get; internal set; }

    /// <summary>Values retained for the backward pass by the last forward pass (see the class summary for what counts).</summary>
    public long Retained { get; internal set; }

    /// <summary>Values the last forward pass retained, per block (X[j] and the MLP activations of block j).</summary>
    public long[] RetainedPerBlock { get; internal set; } = [];

    /// <summary>The logits of the current batch (Batch × Classes).</summary>
    public double[] Logits { get; }

    /// <summary>∂loss/∂logits of the current batch.</summary>
    public double[] GradLogits { get; }

    /// <summary>X[j]: input of block j (X[0] the embedded tokens, X[L] the last block's output), Batch·N × Width.</summary>
    public double[][] X { get; }

    internal double[] Patches { get; }
    internal double[] StemXhat { get; }
    internal double[] StemRstd { get; }
    internal double[][] Xhat { get; }
    internal double[][] Rstd { get; }
    internal double[][] U { get; }
    internal double[][] Z1 { get; }
    internal double[][] G { get; }

    /// <summary>The token list of each block in the last forward pass (kept tokens of a masked block; all otherwise).</summary>
    internal int[][] Tokens { get; }
    internal int[] Full { get; }
    internal int[] Identity { get; }
    internal double[] Conv { get; }
    internal double[] ScratchXhat { get; }
    internal double[] ScratchRstd { get; }
    internal double[] ScratchU { get; }
    internal double[] ScratchZ1 { get; }
    internal double[] ScratchG { get; }
    internal double[] Out { get; }
    internal double[] Pool { get; }
    internal double[] HeadXhat { get; }
    internal double[] HeadRstd { get; }
    internal double[] HeadU { get; }
    internal double[] GradA { get; }
    internal double[] GradB { get; }
    internal double[] GradM { get; }
    internal double[] GradH { get; }
    internal double[] GradU { get; }
    internal double[] GradD { get; }
    internal double[] GradPool { get; }
    internal double[] GradHeadU { get; }
}
