namespace BioSim.Plasticity.Networks;

/// <summary>
/// One fully connected layer: z = s·(W h_in) + b, h = f(z), with W stored row-major
/// [<see cref="Outputs"/> × <see cref="Inputs"/>]. The fixed scale s is 1 for ordinary networks and
/// 1/√p for the mean-field two-layer nets of Song, Xu &amp; Lafferty (2021).
/// </summary>
public sealed class DenseLayer
{
    internal DenseLayer(int index, int inputs, int outputs, Activation activation, bool bias, double scale, double l2)
    {
        Index = index;
        Inputs = inputs;
        Outputs = outputs;
        Activation = activation;
        Weights = new double[outputs * inputs];
        Bias = bias ? new double[outputs] : null;
        Scale = scale;
        L2 = l2;
    }

    /// <summary>1-based position in the network (layer 1 takes the input).</summary>
    public int Index { get; }

    /// <summary>"layer 2 (256 → 10)", for error messages.</summary>
    public string Name => $"layer {Index} ({Inputs} → {Outputs})";

    /// <summary>Width of the layer's input h_in (the layer below's Outputs, or the network's input size).</summary>
    public int Inputs { get; }

    /// <summary>Number of units: the width of z and h.</summary>
    public int Outputs { get; }

    /// <summary>The non-linearity f of h = f(z).</summary>
    public Activation Activation { get; }

    /// <summary>W, row-major Outputs × Inputs.</summary>
    public double[] Weights { get; }

    /// <summary>b, or null for a layer without bias.</summary>
    public double[]? Bias { get; }

    /// <summary>s, the fixed factor on W h_in.</summary>
    public double Scale { get; }

    /// <summary>λ of an L2 penalty (λ/2)‖W‖² added to the loss (its gradient λW is added to every rule's update).</summary>
    public double L2 { get; }
}
