using System.Runtime.CompilerServices;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons;

/// <summary>
/// What the integrate-and-fire models (LIF, LIF-cond, AdEx) share: the membrane potential V (mV), the end of each
/// neuron's refractory period (part of the snapshot, not recorded), and the emission of a spike inside a step
/// (<see cref="Fire"/>): its exact time, the start of the refractory period t_ref, and the guard against a neuron that
/// fires without end because its input holds it above threshold.
/// </summary>
public abstract class IntegrateAndFirePopulation : NeuronPopulation
{
    /// <summary>More spikes than this from one neuron in one step means the input holds it above threshold.</summary>
    protected const int MaxSpikesPerStep = 64;

    /// <summary>The advice for a neuron that fires without end when t_ref = 0 (LIF, LIF-cond).</summary>
    protected const string HeldAboveThreshold = "with t_ref = 0 its input holds it above threshold. Set t_ref > 0 or check the input weights.";

    private readonly double _tRef;
    private readonly string _runawayAdvice;

    /// <param name="name">The population's name, as experiment files and reports use it.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="receptors">The input ports, in receptor order.</param>
    /// <param name="model">The model's name as experiment files give it ("lif", "lif-cond", "adex"), for messages.</param>
    /// <param name="parameters">The model's parameters, checked once by <see cref="NeuronPopulation"/>.</param>
    /// <param name="vInit">Initial V (mV) of every neuron.</param>
    /// <param name="tRef">t_ref, the refractory period (ms).</param>
    /// <param name="runawayAdvice">What a neuron that fired <see cref="MaxSpikesPerStep"/> times in a step means, and what to change.</param>
    protected IntegrateAndFirePopulation(string name, int size, IReadOnlyList<ReceptorSpec> receptors, string model,
        IModelParameters parameters, double vInit, double tRef, string runawayAdvice)
        : base(name, size, receptors, model, parameters)
    {
        _tRef = tRef;
        _runawayAdvice = runawayAdvice;
        Membrane = AddVariable("V", "mV", vInit);
        RefractoryEnd = AddHiddenState("refractory_end", double.NegativeInfinity);
    }

    /// <summary>V (mV), one per neuron.</summary>
    protected double[] Membrane { get; }

    /// <summary>Time (ms) at which each neuron's refractory period ends (−∞ when it has not fired).</summary>
    protected double[] RefractoryEnd { get; }

    /// <summary>
    /// Records a spike of neuron <paramref name="i"/> at t + <paramref name="elapsed"/> and returns the end of the refractory
    /// period it starts; throws <see cref="SimulationDivergedException"/> when the neuron has now fired
    /// <see cref="MaxSpikesPerStep"/> times in this step (<paramref name="emitted"/> counts them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected double Fire(int i, double t, double elapsed, ref int emitted, SpikeList spikes)
    {
        spikes.Add(i, t + elapsed);
        if (++emitted >= MaxSpikesPerStep)
        {
            throw new SimulationDivergedException(
                $"Population '{Name}': neuron {i} fired {MaxSpikesPerStep} times in the step at t = {t:0.###} ms; " + _runawayAdvice);
        }
        return t + elapsed + _tRef;
    }
}
