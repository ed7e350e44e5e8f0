using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Random;

namespace BioSim.Circuits.Neurons.Dendritic;

/// <summary>
/// The somatic integration shared by the reduced neurons of the dendritic microcircuit (Urbanczik &amp; Senn
/// 2014, Neuron 81:521; Sacramento et al. 2018, NeurIPS): a soma of potential U coupled to dendritic
/// compartments d with potentials V_d through conductances g_d,
/// <code>
///   C dU/dt = −g_L (U − E_L) + Σ_d g_d (V_d − U) + g_E (E_E − U) + g_I (E_I − U) + Σ_soma g_k (E_k − U) + Σ_soma I_k
///   V_d = drive_d + Σ_{k → d} s_k ,   τ_k ds_k/dt = −s_k ,  s_k += w on each spike
/// </code>
/// The dendritic potentials follow their input instantly (as in the papers' rate formulation): a rate
/// layer writes drive_d = W r through <see cref="Drive"/>, spiking input arrives through receptors named
/// after the compartment ("basal", "apical_inh", … exp-current, w in the potential's units) and is filtered
/// by the receptor's exponential kernel. g_E, g_I (<see cref="NudgingExcitatory"/>, <see cref="NudgingInhibitory"/>)
/// are the nudging (teaching) conductances; receptors named "soma…" add somatic conductances or currents.
/// <b>Integration</b>: with the inputs frozen over the step, U relaxes exactly towards
/// U_∞ = (g_L E_L + Σ g_d V_d + …)/G with time constant C/G (G the total conductance); receptor variables decay
/// exactly. <b>Outputs</b>: the rate r = rate_scale·φ(U) (variable "rate", Hz) and Poisson spikes with
/// probability 1 − e^{−r dt} per step, drawn from a counter-based stream keyed by (seed, population,
/// "poisson"), neuron and step index, so spikes do not depend on threads and need no saved random state.
/// </summary>
public abstract class DendriticPopulation : NeuronPopulation
{
    /// <summary>|U| beyond this (mV) is far past every reversal potential of the model: a runaway input, stopped as a divergence.</summary>
    public const double PlausiblePotential = 1000;

    /// <summary>Whether the neurons emit their Poisson spikes: only with rate_scale &gt; 0 (with 0 it is a pure rate model).</summary>
    public override bool EmitsSpikes => _rateScale > 0;

    private readonly string[] _dendrites;
    private readonly double[] _coupling;
    private readonly double[][] _drive;
    private readonly double[][] _vDend;
    private readonly double[] _u, _rate;
    private readonly double[][] _s;
    private readonly int[] _target;      // receptor → dendrite index, or −1 for the soma
    private readonly double[] _tau;
    private readonly RandomStream[] _streams;
    private readonly double _c, _gL, _eL, _eE, _eI, _rateScale;
    private readonly RateFunction _phi;
    private double[] _decay = [];

    /// <summary>Neurons at U_init with every receptor variable at 0 and their rates set to rate_scale·φ(U_init). Receptors are
    /// assigned to compartments by name: "basal", "basal_…" to the basal dendrite, "soma", "soma_…" to the soma, and so on.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it; it also keys the Poisson stream.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="receptors">The input ports: exp-current on a dendrite (weights in mV) or on the soma (pA), exp-conductance on the soma only (nS).</param>
    /// <param name="model">The model's name ("pyramidal", "interneuron"), for messages.</param>
    /// <param name="dendrites">Each dendritic compartment's name and its coupling conductance g_d to the soma (nS).</param>
    /// <param name="c">C, somatic capacitance (pF).</param>
    /// <param name="gL">g_L, somatic leak conductance (nS).</param>
    /// <param name="eL">E_L, leak reversal potential (mV).</param>
    /// <param name="eE">E_E, reversal potential of the excitatory nudging conductance (mV).</param>
    /// <param name="eI">E_I, reversal potential of the inhibitory nudging conductance (mV).</param>
    /// <param name="uInit">U_init, initial somatic potential (mV).</param>
    /// <param name="phi">φ, the transfer function from U to rate.</param>
    /// <param name="rateScale">rate_scale, the rate at φ = 1 (Hz).</param>
    /// <param name="seed">The experiment's seed, which keys the Poisson spike stream.</param>
    /// <param name="parameters">The model's parameters record, checked once by <see cref="NeuronPopulation"/>.</param>
    protected DendriticPopulation(string name, int size, IReadOnlyList<ReceptorSpec> receptors, string model,
        (string Name, double Coupling)[] dendrites, double c, double gL, double eL, double eE, double eI,
        double uInit, RateFunction phi, double rateScale, ulong seed, IModelParameters parameters)
        : base(name, size, receptors, model, parameters)
    {
        _dendrites = dendrites.Select(d => d.Name).ToArray();
        _coupling = dendrites.Select(d => d.Coupling).ToArray();
        _c = c; _gL = gL; _eL = eL; _eE = eE; _eI = eI; _phi = phi; _rateScale = rateScale;
        _u = AddVariable("U", "mV", uInit);
        _vDend = _dendrites.Select(d => AddVariable("V_" + d, "mV")).ToArray();
        _rate = AddVariable("rate", "Hz");
        _drive = _dendrites.Select(_ => new double[size]).ToArray();
        NudgingExcitatory = new double[size];
        NudgingInhibitory = new double[size];
        _s = new double[receptors.Count][];
        _target = new int[receptors.Count];
        _tau = new double[receptors.Count];
        for (int k = 0; k < receptors.Count; k++)
        {
            var r = receptors[k];
            int d = Array.FindIndex(_dendrites, n => r.Name == n || r.Name.StartsWith(n + "_", StringComparison.Ordinal));
            bool soma = r.Name == "soma" || r.Name.StartsWith("soma_", StringComparison.Ordinal);
            if (d < 0 && !soma)
            {
                throw new ArgumentException($"Population '{name}' ({model}), receptor '{r.Name}': the name must say which compartment it targets: {string.Join(", ", _dendrites.Append("soma"))} (or one of them followed by _suffix).");
            }
            if (d >= 0 && r.IsConductance)
            {
                throw new ArgumentException($"Population '{name}' ({model}), receptor '{r.Name}': dendritic inputs are {ReceptorSpec.ExpCurrent} (they add to the dendritic potential); conductances go on the soma.");
            }
            _target[k] = d;
            _tau[k] = r.Tau;
            _s[k] = r.IsConductance ? AddVariable("g_" + r.Name, "nS") : AddVariable("s_" + r.Name, d >= 0 ? "mV" : "pA");
        }
        var stream = new RandomStream(seed, name, "poisson");
        _streams = new RandomStream[size];
        for (int i = 0; i < size; i++) _streams[i] = stream.ForElement((uint)i);
        for (int i = 0; i < size; i++) UpdateOutputs(i);
    }

    /// <summary>The receptor models both neurons take: currents on any compartment, conductances on the soma.</summary>
    protected static IReadOnlyList<string> DendriticReceptorModels { get; } = [ReceptorSpec.ExpCurrent, ReceptorSpec.ExpConductance];

    /// <summary>Dendritic compartment names in order (e.g. basal, apical).</summary>
    public IReadOnlyList<string> Dendrites => _dendrites;

    /// <summary>The instantaneous drive of dendrite <paramref name="dendrite"/> (mV, one per neuron), e.g. W r from a rate layer; held over each step.</summary>
    public double[] Drive(string dendrite)
    {
        int d = Array.IndexOf(_dendrites, dendrite);
        return d >= 0 ? _drive[d] : throw new KeyNotFoundException($"Population '{Name}' has no dendrite '{dendrite}'; it has: {string.Join(", ", _dendrites)}.");
    }

    /// <summary>g_E, excitatory nudging conductance per neuron (nS), reversal E_E.</summary>
    public double[] NudgingExcitatory { get; }

    /// <summary>g_I, inhibitory nudging conductance per neuron (nS), reversal E_I.</summary>
    public double[] NudgingInhibitory { get; }

    /// <summary>φ(U) without the rate scale.</summary>
    public double Phi(double u) => _phi.Phi(u);

    /// <summary>rate_scale, the rate at φ = 1 (Hz).</summary>
    public double RateScale => _rateScale;

    /// <summary>The index (in <see cref="Dendrites"/>) of the dendrite receptor <paramref name="receptor"/> feeds, or −1 when it
    /// feeds the soma or is not one of this population's receptors.</summary>
    public int DendriteOf(string receptor)
    {
        for (int k = 0; k < Receptors.Count; k++)
        {
            if (Receptors[k].Name == receptor) return _target[k];
        }
        return -1;
    }

    /// <summary>
    /// The dendritic prediction of neuron <paramref name="neuron"/>'s somatic potential from dendrite
    /// <paramref name="dendrite"/>: V* = (g_L E_L + g_d V_d)/(g_L + Σ_d' g_d'), the soma's steady state with that dendrite's
    /// potential as it was over the last step, every other dendrite at rest (0) and no nudging or somatic input. With
    /// E_L = 0 it is Urbanczik &amp; Senn's (2014) V*_w = g_D/(g_L + g_D) V_w for one dendrite, and the basal prediction
    /// û_B = g_B/(g_lk + g_B + g_A) v_B of Sacramento et al. (2018) for the pyramidal neuron.
    /// </summary>
    public double Prediction(int neuron, int dendrite)
    {
        double g = _gL;
        foreach (double c in _coupling) g += c;
        return (_gL * _eL + _coupling[dendrite] * _vDend[dendrite][neuron]) / g;
    }

    /// <summary>The receptor decays e^{−dt/τ_k} over one step.</summary>
    protected override void PrepareModel(double dt)
    {
        _decay = Decays(_tau, dt);
    }

    /// <inheritdoc/>
    public override void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        RequirePrepared(dt);
        var rings = Rings;
        int receptors = _s.Length;
        for (int k = 0; k < receptors; k++)
        {
            var input = rings[k].Current.Slice(start, end - start);
            var s = _s[k].AsSpan(start, end - start);
            System.Numerics.Tensors.TensorPrimitives.Add(s, input, s);
        }
        ulong step = (ulong)Math.Round(t / dt);
        for (int i = start; i < end; i++)
        {
            double g = _gL + NudgingExcitatory[i] + NudgingInhibitory[i];
            double num = _gL * _eL + NudgingExcitatory[i] * _eE + NudgingInhibitory[i] * _eI;
            for (int d = 0; d < _dendrites.Length; d++) _vDend[d][i] = _drive[d][i];
            for (int k = 0; k < receptors; k++)
            {
                double s = _s[k][i];
                int d = _target[k];
                if (d >= 0) _vDend[d][i] += s;
                else if (Receptors[k].IsConductance)
                {
                    g += s;
                    num += s * Receptors[k].E!.Value;
                }
                else num += s;
                _s[k][i] = s * _decay[k];
            }
            for (int d = 0; d < _dendrites.Length; d++)
            {
                g += _coupling[d];
                num += _coupling[d] * _vDend[d][i];
            }
            double uInf = num / g;
            double u = uInf + (_u[i] - uInf) * Math.Exp(-dt * g / _c);
            Engine.Simulation.SimulationDivergedException.ThrowIfImplausible(Name, "U", i, t + dt, u, -PlausiblePotential, PlausiblePotential, "mV",
                "the input drives U far beyond every reversal potential and the model's range: check the weights and the input rates");
            _u[i] = u;
            UpdateOutputs(i);
            if (_rate[i] > 0)
            {
                var stream = _streams[i];
                stream.Position = step;
                if (stream.NextDouble() < 1 - Math.Exp(-_rate[i] * dt * 1e-3)) spikes.Add(i, t + dt);
            }
        }
    }

    private void UpdateOutputs(int i) => _rate[i] = _rateScale * _phi.Phi(_u[i]);
}
