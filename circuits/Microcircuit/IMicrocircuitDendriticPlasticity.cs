namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// A microcircuit rule that keeps the dendrites current itself and may defer the changes of the input weights
/// W^PP_{1,0} (the speed contract of <see cref="CorticalMicrocircuit"/> with the dendritic error rule).
/// <para>
/// <b>Dendrites</b>: after <see cref="IMicrocircuitPlasticity.AfterStep"/> every dendritic potential the rule's changes
/// touched equals W r with the changed weights (the rule computes the products in the pass that changes the weights), so
/// the circuit does not recompute them. The dendrites of the step's end (before the changes), which the errors are
/// taken from, the rule may compute itself in the same pass over each matrix as the change of the step before
/// (<see cref="TakesDendrite"/>): the circuit's step then leaves them to the rule, so each matrix is read once per step.
/// </para>
/// <para>
/// <b>Deferred input weights</b>: while the input rates r₀ are constant (one sample), the low-pass filtered change of
/// W^PP_{1,0} stays in a factored form, W(t) = W(t₀) + α(t) Δ(t₀) + c(t) r₀ᵀ and Δ(t) = p(t) Δ(t₀) + b(t) r₀ᵀ with scalars
/// α, p and vectors b, c, so v_B,1 = W(t₀) r₀ + α Δ(t₀) r₀ + c (r₀ · r₀) costs O(n₁) per step. The circuit's weight
/// array then holds W(t₀) until the rule folds the factors in: when the input changes (<see cref="InputChanged"/>) and
/// when someone reads or may write the weights (<see cref="Materialise"/>). Checkpoints save the factored state as it
/// is, so saving never changes the run.
/// </para>
/// </summary>
public interface IMicrocircuitDendriticPlasticity : IMicrocircuitPlasticity
{
    /// <summary>Whether the rule computes the dendritic potential <paramref name="variable"/> (<c>v_B_l</c>, <c>v_A_l</c>,
    /// <c>v_D_l</c>) of the step's end itself, before its errors: the circuit's step then does not compute it (only
    /// <see cref="CorticalMicrocircuit.Refresh"/> does). Asked once, when the rule is attached.</summary>
    bool TakesDendrite(string variable);

    /// <summary>Whether W^PP_{1,0} is held in factored form (its changes deferred); then the circuit leaves v_B,1 to the rule.</summary>
    bool DefersInputWeights { get; }

    /// <summary>The circuit's input rates have just changed: fold the factors of the ending interval (taken with the
    /// rates the rule kept) into the weights and the filter state, start a new interval with the new rates, and write
    /// v_B,1 = W^PP_{1,0} r₀. Called only when <see cref="DefersInputWeights"/>.</summary>
    void InputChanged();

    /// <summary>Fold every deferred change (those of W^PP_{1,0} and any change the rule applies to a matrix's arrays only
    /// in its next pass) into the weight arrays and the rule's filter states, so that they are current
    /// and may be read or changed by hand; the next step starts a new interval from them. Folding in the middle of a
    /// sample changes later values by round-off (the sum is taken in another order), so the circuit does it only when
    /// the weights are asked for, never on its own.</summary>
    void Materialise();

    /// <summary>Copy any weights the rule keeps in a layout of its own (a tall matrix of short rows, kept transposed) into
    /// the circuit's arrays, folding nothing (a copy: no bit of the run changes); the circuit calls it before it saves
    /// its weights.</summary>
    void Synchronise();
}
