namespace BioSim.Engine.NeuralOde;

/// <summary>
/// A vector field dx/dt = f(t, x; θ) with a flat parameter vector θ and hand-written vector-Jacobian
/// products (VJPs) for the state and the parameters, the only derivatives the gradient methods need.
/// </summary>
/// <remarks>
/// <para>An evaluation may record a <em>tape</em>: the intermediate values (layer inputs, pre-activations)
/// that the VJP at the same point needs, <see cref="TapeLength"/> doubles. Backprop through the solver keeps
/// one tape per stage of every step; the symplectic adjoint and checkpointing recompute them.</para>
/// <para>Implementations must not allocate in <see cref="Evaluate"/> or <see cref="VectorJacobianProduct"/>.</para>
/// </remarks>
public interface IParametricVectorField
{
    /// <summary>Number of state variables d.</summary>
    int Dimension { get; }

    /// <summary>The parameters θ, flat; writable so that optimisers update them in place.</summary>
    Span<double> Parameters { get; }

    /// <summary>Number of parameters P (length of <see cref="Parameters"/>).</summary>
    int ParameterCount { get; }

    /// <summary>Doubles one tape holds (the L of the memory accounting: it grows with the network).</summary>
    int TapeLength { get; }

    /// <summary>Writes f(t, x; θ) into <paramref name="dxdt"/>; when <paramref name="tape"/> is not empty
    /// (length <see cref="TapeLength"/>) records what <see cref="VectorJacobianProduct"/> needs.</summary>
    void Evaluate(double t, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape);

    /// <summary>
    /// Given the cotangent v (length d) at the point recorded in <paramref name="tape"/>, writes
    /// vᵀ ∂f/∂x into <paramref name="stateGradient"/> (overwritten) and adds vᵀ ∂f/∂θ to
    /// <paramref name="parameterGradient"/> (accumulated).
    /// </summary>
    void VectorJacobianProduct(ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> stateGradient, Span<double> parameterGradient);
}
