namespace BioSim.Plasticity.Networks;

/// <summary>
/// One layer of a <see cref="Network"/> as the experiment file gives it.
/// </summary>
/// <param name="Size">number of units.</param>
/// <param name="Activation">the non-linearity (from the catalogue by name: <see cref="PlasticityServiceCollectionExtensions.CreateActivation"/>); null for tanh.</param>
/// <param name="Bias">whether the layer has a bias vector.</param>
/// <param name="Scale">fixed factor s on W h_in (default 1).</param>
/// <param name="L2">λ of the weight penalty (λ/2)‖W‖² (default 0).</param>
public sealed record LayerSpec(int Size, Activation? Activation = null, bool Bias = true, double Scale = 1.0, double L2 = 0.0)
{
    /// <summary>The layer's non-linearity (tanh unless given).</summary>
    public Activation Activation { get; init; } = Activation ?? new Tanh();
}
