namespace BioSim.Engine.Cable;

/// <summary>
/// Time discretisation of the cable equation C dV/dt = A V − I(V) + I_inj, as NEURON's fixed-step method
/// offers it (<c>secondorder</c> = 0 or 2). Both solve (c_j C + A + ∂I/∂V) ΔV = A V − I(V) + I_inj with the
/// currents linearised at the start of the step.
/// </summary>
public enum CableMethod
{
    /// <summary>Backward (implicit) Euler: c_j = 1/dt, V ← V + ΔV. First order, L-stable.</summary>
    BackwardEuler,

    /// <summary>Crank-Nicolson: c_j = 2/dt gives V at t + dt/2, then V ← V + 2ΔV. Second order for the linear cable.</summary>
    CrankNicolson,
}
