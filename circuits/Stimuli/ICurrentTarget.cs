namespace BioSim.Circuits.Stimuli;

/// <summary>A population whose neurons take an injected current from current devices (lif, lif-cond, adex, hh): the
/// current enters the membrane equation as I_e does, and is recordable as "I_stim" (pA).</summary>
public interface ICurrentTarget
{
    /// <summary>Connects <paramref name="projection"/>; call before the simulation is built.</summary>
    void AttachCurrent(CurrentProjection projection);
}
