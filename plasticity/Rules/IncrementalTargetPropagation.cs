namespace BioSim.Plasticity.Rules;

/// <summary>
/// ITP, incremental target propagation: the baseline that Ahmad, van Gerven &amp; Ambrogioni (2020, NeurIPS,
/// "GAIT-prop", section 3) derive GAIT-prop from. It is <see cref="GaitProp"/> without the gradient adjustment:
/// each layer's target is the same fixed fraction γ of the way from its forward activity to the target above,
/// <code>
///   t_{l−1} = g_l⁻¹((1 − γ) y_l + γ t_l)      (GAIT-prop: γ f′(a_l)² in place of γ)
/// </code>
/// and everything else (the output error, the γ^{L−l} rescaling, the exact layer inverses refreshed after every
/// update, the orthogonality penalty λ, square invertible leaky-ReLU or identity layers) is GAIT-prop's. The
/// official code (github.com/nasiryahm/GAIT-prop) has GAIT, BP and full-inverse TP but no ITP; this is the
/// paper's definition. To first order in γ, with W⁻¹ = Wᵀ, the error handed down is
/// e_{l−1} ≈ γ Wᵀ(e_l ⊘ f′(a_l)) where backprop's is Wᵀ(e_l ⊙ f′(a_l)): a unit on a leaky ReLU's shallow
/// side (f′ = 0.1) gets 100 times the weight backprop gives it, so ITP's lower layers depart from backprop's
/// updates however small γ is; with the identity activation (f′ = 1) ITP is GAIT-prop, bit for bit.
/// </summary>
public sealed class IncrementalTargetPropagation : GaitProp
{
    /// <summary>ITP with the default γ (1e-3) and no orthogonality penalty.</summary>
    public IncrementalTargetPropagation() : base(gradientAdjusted: false, "itp") { }
}
