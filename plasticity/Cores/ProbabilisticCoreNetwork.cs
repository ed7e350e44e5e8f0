using BioSim.Engine.Numerics;
using BioSim.Engine.Random;

namespace BioSim.Plasticity.Cores;

/// <summary>
/// A network of cores trained as probabilities (Esser et al., NeurIPS 2015): spikes and synaptic connections are
/// Bernoulli variables, so a neuron's input current I_j = Σ_i x_i c̃_ij S_ij (x_i ∼ B(p_i) the axon's spike, c̃_ij ∼ B(c_ij)
/// the connection) has mean μ_j = Σ_i p_i c_ij S_ij + b_j and variance σ²_j = Σ_i S_ij² p_i c_ij (1 − p_i c_ij); a
/// memoryless neuron with threshold α spikes when the integer I_j + b_j ≥ α, which the Gaussian approximation with a
/// continuity correction and a variance floor puts at
/// <code>  P_j = Φ((μ_j − α + ½) / √(σ²_j + floor)) .</code>
/// P_j feeds the next layer as its spike probability. The output is read as class scores z_k = Σ_{j ∈ class k} P_j (the
/// expected spike count of the class's neurons) under softmax cross-entropy. Gradients are exact for this model
/// (checked against central differences in the tests); products go through the one matrix-product entry point.
/// </summary>
public sealed class ProbabilisticCoreNetwork
{
    private readonly IMatrixProduct _gemm;
    private Workspace[] _work = [];
    private double[] _layerInput = [], _outputs = [];
    private double[] _gOutput = [];
    private double[][] _gInput = [];   // per layer l ≥ 1: the gradient with respect to its input (batch × width)
    private int _batch;

    /// <param name="layers">Cores per layer; layer 0 reads the sample (<paramref name="inputSize"/> values in [0, 1], spike
    /// probabilities), layer l the outputs of layer l − 1's cores concatenated in order.</param>
    /// <param name="inputSize">Values per sample.</param>
    /// <param name="classes">Classes; output neuron j (of the last layer, concatenated) counts for class j / perClass when j &lt; classes·perClass.</param>
    /// <param name="perClass">Output neurons per class.</param>
    /// <param name="threshold">α of every neuron (≥ 0), as deployed. Default 1.</param>
    /// <param name="varianceFloor">Added to σ² (&gt; 0). Default 1.</param>
    /// <param name="gemm">The matrix product.</param>
    public ProbabilisticCoreNetwork(IReadOnlyList<ProbabilisticCore[]> layers, int inputSize, int classes, int perClass,
        IMatrixProduct gemm, double threshold = 1.0, double varianceFloor = 1.0)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(gemm);
        if (layers.Count == 0 || layers.Any(l => l.Length == 0)) throw new ArgumentException("Every layer needs at least one core.", nameof(layers));
        if (!(varianceFloor > 0)) throw new ArgumentOutOfRangeException(nameof(varianceFloor), varianceFloor, "The variance floor must be positive.");
        Layers = layers;
        InputSize = inputSize;
        Classes = classes;
        PerClass = perClass;
        Threshold = threshold;
        VarianceFloor = varianceFloor;
        _gemm = gemm;
        int offset = 0, size = inputSize;
        foreach (var layer in layers)
        {
            foreach (var core in layer)
            {
                if (core.Inputs.Any(i => (uint)i >= (uint)size)) throw new ArgumentException($"A core reads an input beyond the {size} of its layer.", nameof(layers));
                core.Offset = offset;
                offset += core.ParameterCount;
            }
            size = layer.Sum(c => c.Neurons);
        }
        OutputSize = size;
        if (classes * perClass > size) throw new ArgumentException($"{classes} classes × {perClass} neurons exceed the {size} output neurons.", nameof(perClass));
        Parameters = new double[offset];
        Gradient = new double[offset];
    }

    /// <summary>The cores by layer.</summary>
    public IReadOnlyList<ProbabilisticCore[]> Layers { get; }

    /// <summary>Values per sample.</summary>
    public int InputSize { get; }

    /// <summary>Output neurons (the last layer's, concatenated).</summary>
    public int OutputSize { get; }

    /// <summary>Classes.</summary>
    public int Classes { get; }

    /// <summary>Output neurons per class.</summary>
    public int PerClass { get; }

    /// <summary>α.</summary>
    public double Threshold { get; }

    /// <summary>The variance floor.</summary>
    public double VarianceFloor { get; }

    /// <summary>Every core's c (axons × neurons) then b, core after core.</summary>
    public double[] Parameters { get; }

    /// <summary>The gradient of the last <see cref="LossAndGradient"/>, laid out as <see cref="Parameters"/>.</summary>
    public double[] Gradient { get; }

    /// <summary>The class scores of the last forward pass (batch × classes).</summary>
    public ReadOnlySpan<double> Scores => _scores.AsSpan(0, _batch * Classes);

    private double[] _scores = [];

    /// <summary>Connection probabilities uniform in [0, 1) and leaks 0 (pytruenorth's initialisation), from <paramref name="stream"/>.</summary>
    public void Initialise(RandomStream stream)
    {
        foreach (var core in Layers.SelectMany(l => l))
        {
            for (int k = 0; k < core.Axons * core.Neurons; k++) Parameters[core.Offset + k] = stream.NextDouble();
            Array.Clear(Parameters, core.Offset + core.Axons * core.Neurons, core.Neurons);
        }
    }

    /// <summary>c into [0, 1] and b into [−255, 255], after every update.</summary>
    public void Clip()
    {
        foreach (var core in Layers.SelectMany(l => l))
        {
            var c = Parameters.AsSpan(core.Offset, core.Axons * core.Neurons);
            for (int k = 0; k < c.Length; k++) c[k] = Math.Clamp(c[k], 0, 1);
            var b = Parameters.AsSpan(core.Offset + c.Length, core.Neurons);
            for (int k = 0; k < b.Length; k++) b[k] = Math.Clamp(b[k], -255, 255);
        }
    }

    /// <summary>The spike probabilities of the output neurons for a batch (batch × <see cref="OutputSize"/>), from the last forward pass.</summary>
    public ReadOnlySpan<double> Outputs => _outputs.AsSpan(0, _batch * OutputSize);

    /// <summary>Forward pass of <paramref name="batch"/> samples (row-major, batch × InputSize); fills <see cref="Scores"/> and <see cref="Outputs"/>.</summary>
    public void Forward(ReadOnlySpan<double> inputs, int batch)
    {
        Prepare(batch);
        int width = InputSize;
        inputs[..(batch * width)].CopyTo(_layerInput);
        int core = 0;
        for (int l = 0; l < Layers.Count; l++)
        {
            int next = Layers[l].Sum(c => c.Neurons);
            var output = l == Layers.Count - 1 ? _outputs : _work[core].NextInput;
            int column = 0;
            foreach (var c in Layers[l])
            {
                var w = _work[core++];
                ForwardCore(c, w, _layerInput.AsSpan(0, batch * width), width, batch);
                for (int r = 0; r < batch; r++)
                {
                    w.P.AsSpan(r * c.Neurons, c.Neurons).CopyTo(output.AsSpan(r * next + column, c.Neurons));
                }
                column += c.Neurons;
            }
            if (l < Layers.Count - 1) output.AsSpan(0, batch * next).CopyTo(_layerInput);
            width = next;
        }
        for (int r = 0; r < batch; r++)
        {
            var z = _scores.AsSpan(r * Classes, Classes);
            z.Clear();
            for (int j = 0; j < Classes * PerClass; j++) z[j / PerClass] += _outputs[r * OutputSize + j];
        }
    }

    /// <summary>Mean softmax cross-entropy of the scores against <paramref name="labels"/>, and its gradient into <see cref="Gradient"/>.</summary>
    public double LossAndGradient(ReadOnlySpan<double> inputs, ReadOnlySpan<int> labels)
    {
        int batch = labels.Length;
        Forward(inputs, batch);
        double loss = 0;
        var gOut = _gOutput;
        Span<double> g = stackalloc double[Classes];
        for (int r = 0; r < batch; r++)
        {
            var z = _scores.AsSpan(r * Classes, Classes);
            double max = double.NegativeInfinity;
            foreach (double v in z) max = Math.Max(max, v);
            double sum = 0;
            for (int k = 0; k < Classes; k++) sum += Math.Exp(z[k] - max);
            loss += Math.Log(sum) + max - z[labels[r]];
            for (int k = 0; k < Classes; k++) g[k] = (Math.Exp(z[k] - max) / sum - (k == labels[r] ? 1 : 0)) / batch;
            for (int j = 0; j < Classes * PerClass; j++) gOut[r * OutputSize + j] = g[j / PerClass];
        }
        Backward(gOut, batch);
        return loss / batch;
    }

    private void Backward(double[] gOutput, int batch)
    {
        Array.Clear(Gradient);
        var gP = gOutput;
        int core = _work.Length;
        for (int l = Layers.Count - 1; l >= 0; l--)
        {
            int width = l == 0 ? InputSize : Layers[l - 1].Sum(c => c.Neurons);
            int outWidth = Layers[l].Sum(c => c.Neurons);
            var gIn = l == 0 ? null : _gInput[l];
            if (gIn is not null) Array.Clear(gIn, 0, batch * width);
            int column = outWidth;
            for (int k = Layers[l].Length - 1; k >= 0; k--)
            {
                var c = Layers[l][k];
                var w = _work[--core];
                column -= c.Neurons;
                BackwardCore(c, w, gP, outWidth, column, batch, gIn, width);
            }
            if (gIn is not null) gP = gIn;
        }
    }

    private sealed class Workspace(int batch, ProbabilisticCore core, int nextWidth)
    {
        public readonly double[] X = new double[batch * core.Axons], X2 = new double[batch * core.Axons];
        public readonly double[] CS = new double[core.Axons * core.Neurons], CS2 = new double[core.Axons * core.Neurons], C2S2 = new double[core.Axons * core.Neurons];
        public readonly double[] Z = new double[batch * core.Neurons], Sigma = new double[batch * core.Neurons], P = new double[batch * core.Neurons];
        public readonly double[] GMu = new double[batch * core.Neurons], GV = new double[batch * core.Neurons];
        public readonly double[] Tmp = new double[core.Axons * Math.Max(core.Neurons, batch)], GX = new double[batch * core.Axons];
        public readonly double[] NextInput = new double[batch * nextWidth];
    }

    private void Prepare(int batch)
    {
        if (_work.Length > 0 && batch <= _work[0].X.Length / Layers[0][0].Axons)
        {
            _batch = batch;
            return;
        }
        var work = new List<Workspace>();
        int widest = InputSize;
        for (int l = 0; l < Layers.Count; l++)
        {
            int width = Layers[l].Sum(c => c.Neurons);
            widest = Math.Max(widest, width);
            foreach (var c in Layers[l]) work.Add(new Workspace(batch, c, width));
        }
        _work = [.. work];
        _layerInput = new double[batch * widest];
        _outputs = new double[batch * OutputSize];
        _scores = new double[batch * Classes];
        _gOutput = new double[batch * OutputSize];
        _gInput = new double[Layers.Count][];
        for (int l = 1; l < Layers.Count; l++) _gInput[l] = new double[batch * Layers[l - 1].Sum(c => c.Neurons)];
        _batch = batch;
    }

    private void ForwardCore(ProbabilisticCore core, Workspace w, ReadOnlySpan<double> input, int width, int batch)
    {
        int a = core.Axons, n = core.Neurons;
        var c = Parameters.AsSpan(core.Offset, a * n);
        var b = Parameters.AsSpan(core.Offset + a * n, n);
        for (int r = 0; r < batch; r++)
        {
            for (int i = 0; i < a; i++)
            {
                double x = input[r * width + core.Inputs[i]];
                w.X[r * a + i] = x;
                w.X2[r * a + i] = x * x;
            }
        }
        for (int k = 0; k < a * n; k++)
        {
            w.CS[k] = c[k] * core.S[k];
            w.CS2[k] = c[k] * core.S2[k];
            w.C2S2[k] = c[k] * w.CS2[k];
        }
        var mu = w.Z.AsSpan(0, batch * n);      // μ first, then z in place
        var variance = w.Sigma.AsSpan(0, batch * n);
        _gemm.Multiply(false, false, batch, n, a, 1.0, w.X.AsSpan(0, batch * a), w.CS, 0.0, mu);
        _gemm.Multiply(false, false, batch, n, a, 1.0, w.X.AsSpan(0, batch * a), w.CS2, 0.0, variance);
        _gemm.Multiply(false, false, batch, n, a, -1.0, w.X2.AsSpan(0, batch * a), w.C2S2, 1.0, variance);
        double shift = Threshold - 0.5;
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < n; j++)
            {
                int k = r * n + j;
                double sigma = Math.Sqrt(Math.Max(variance[k], 0) + VarianceFloor);
                double z = (mu[k] + b[j] - shift) / sigma;
                w.Sigma[k] = sigma;
                w.Z[k] = z;
                w.P[k] = 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-z / Math.Sqrt(2));
            }
        }
    }

    private void BackwardCore(ProbabilisticCore core, Workspace w, double[] gOutput, int outWidth, int column, int batch, double[]? gInput, int inWidth)
    {
        int a = core.Axons, n = core.Neurons;
        var c = Parameters.AsSpan(core.Offset, a * n);
        var gc = Gradient.AsSpan(core.Offset, a * n);
        var gb = Gradient.AsSpan(core.Offset + a * n, n);
        double density = 1 / Math.Sqrt(2 * Math.PI);
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < n; j++)
            {
                int k = r * n + j;
                double gz = gOutput[r * outWidth + column + j] * density * Math.Exp(-0.5 * w.Z[k] * w.Z[k]);
                double sigma = w.Sigma[k];
                w.GMu[k] = gz / sigma;
                w.GV[k] = -gz * w.Z[k] / (2 * sigma * sigma);
                gb[j] += w.GMu[k];
            }
        }
        var x = w.X.AsSpan(0, batch * a);
        var x2 = w.X2.AsSpan(0, batch * a);
        var gMu = w.GMu.AsSpan(0, batch * n);
        var gV = w.GV.AsSpan(0, batch * n);
        // ∂L/∂c = (Xᵀ gμ)∘S + (Xᵀ gV)∘S² − 2 c∘S²∘((X²)ᵀ gV); σ² was floored at 0 only where rounding made it negative
        _gemm.Multiply(true, false, a, n, batch, 1.0, x, gMu, 0.0, w.Tmp);
        for (int k = 0; k < a * n; k++) gc[k] += w.Tmp[k] * core.S[k];
        _gemm.Multiply(true, false, a, n, batch, 1.0, x, gV, 0.0, w.Tmp);
        for (int k = 0; k < a * n; k++) gc[k] += w.Tmp[k] * core.S2[k];
        _gemm.Multiply(true, false, a, n, batch, 1.0, x2, gV, 0.0, w.Tmp);
        for (int k = 0; k < a * n; k++) gc[k] -= 2 * c[k] * core.S2[k] * w.Tmp[k];
        if (gInput is null) return;
        // ∂L/∂x = gμ·(c∘S)ᵀ + gV·(c∘S²)ᵀ − 2 x∘(gV·(c²∘S²)ᵀ), added into the layer input each axon reads
        var gx = w.GX.AsSpan(0, batch * a);
        _gemm.Multiply(false, true, batch, a, n, 1.0, gMu, w.CS, 0.0, gx);
        _gemm.Multiply(false, true, batch, a, n, 1.0, gV, w.CS2, 1.0, gx);
        var t = w.Tmp.AsSpan(0, batch * a);
        _gemm.Multiply(false, true, batch, a, n, 1.0, gV, w.C2S2, 0.0, t);
        for (int r = 0; r < batch; r++)
        {
            for (int i = 0; i < a; i++)
            {
                int k = r * a + i;
                gInput[r * inWidth + core.Inputs[i]] += gx[k] - 2 * x[k] * t[k];
            }
        }
    }
}
