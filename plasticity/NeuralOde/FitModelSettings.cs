namespace BioSim.Plasticity.NeuralOde;

/// <summary>The model settings of a fit file (<c>model</c>); each <see cref="IFitModel"/> uses those that concern it.</summary>
public sealed record FitModelSettings
{
    /// <summary>MLP: widths of the hidden layers (default one layer of 32).</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [32];

    /// <summary>MLP: the hidden nonlinearity, the name of a registered <see cref="Networks.Activation"/> (default "tanh").</summary>
    public string Activation { get; init; } = "tanh";

    /// <summary>MLP: whether t is an input (default false).</summary>
    public bool TimeInput { get; init; }

    /// <summary>Rate circuit: the smallest time constant τ the fit may reach (units of t, default 1e-3).</summary>
    public double MinTau { get; init; } = 1e-3;

    /// <summary>Seed of the initial parameters (Philox streams; default 1).</summary>
    public ulong Seed { get; init; } = 1;
}
