using System.Runtime.CompilerServices;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Stimuli;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.HodgkinHuxley;

/// <summary>
/// Single-compartment Hodgkin-Huxley neurons with the kinetics of NEURON's built-in <c>hh</c> mechanism
/// (hh.mod, after Hodgkin &amp; Huxley 1952, J Physiol 117:500; V in mV, rates in 1/ms):
/// <code>
///   C dV/dt = −ḡ_Na m³h (V − E_Na) − ḡ_K n⁴ (V − E_K) − g_L (V − E_L) + I_e + I_stim + Σ_cur I_k + Σ_cond g_k (E_k − V)
///   dx/dt = q10 (α_x (1 − x) − β_x x),  x ∈ {m, h, n},  q10 = 3^((celsius − 6.3)/10)
///   α_m = 0.1 vtrap(−(V + 40), 10)   β_m = 4 e^{−(V + 65)/18}
///   α_h = 0.07 e^{−(V + 65)/20}       β_h = 1/(e^{−(V + 35)/10} + 1)
///   α_n = 0.01 vtrap(−(V + 55), 10)  β_n = 0.125 e^{−(V + 65)/80}
///   vtrap(x, y) = x/(e^{x/y} − 1), or y (1 − x/y/2) when |x/y| &lt; 1e-6 (the removable singularity)
///   τ_k dI_k/dt = −I_k, τ_k dg_k/dt = −g_k;  I_k += weight (pA), g_k += weight (nS) on each arriving spike
/// </code>
/// Units mV, ms, pF, nS, pA; densities are converted with the compartment area (see <see cref="HhParameters"/>).
/// <b>Integration</b> (the scheme of Brian2's <c>exponential_euler</c>): every equation is linear in its own
/// variable once the others are frozen at their values at the start of the step, and each is advanced by
/// the exact solution of that linear equation: the gates x ← x_∞ + (x − x_∞) e^{−q10 (α + β) dt} with
/// the rates at the old V (NEURON's <c>cnexp</c>), and V ← V_∞ + (V − V_∞) e^{−dt G/C} with the total
/// conductance G and its reversal V_∞ frozen at the start of the step. Gates stay in [0, 1] and V
/// between the reversal potentials for any dt; the error is first order in dt. The synaptic variables
/// decay exactly. <b>Spikes</b> are upward crossings of V_th; the time is the root of the cubic Hermite
/// interpolant of V and dV/dt at both ends of the step. There is no refractory period: the next event
/// needs V to fall below V_th first.
/// </summary>
public sealed partial class HhPopulation : NeuronPopulation, IPopulationFactory<HhParameters, HhPopulation>, IExactInput, ILocalStepping, ICurrentTarget
{
    /// <summary>|V| beyond this (mV) is no membrane potential: the reversal potentials lie within ±100 mV, so only a
    /// runaway input (a weight in the wrong unit, say) gets there, and the run stops as a divergence instead of completing
    /// with V = 1e298 mV.</summary>
    public const double PlausibleVoltage = 1000;

    private readonly HhParameters _p;
    private readonly double[] _v;
    private readonly double[] _m;
    private readonly double[] _h;
    private readonly double[] _n;
    private readonly double[][] _s;
    private readonly double[] _tau;
    private readonly double[] _eCoefficient;   // g_k E_k (conductance) or I_k (current) adds to the reversal sum
    private readonly double[] _gCoefficient;   // 1 for conductances, 0 for currents
    private readonly double _c, _gNa, _gK, _gL, _q10;

    private double[] _pFull = [];

    /// <summary>Neurons at V_init with every gate at its steady state there (as NEURON's finitialize), synaptic variables at 0.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="parameters">The model's parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">The input ports: exp-current (weights in pA) or exp-conductance (weights in nS).</param>
    public HhPopulation(string name, int size, HhParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "hh", parameters)
    {
        _p = parameters;
        _c = parameters.Capacitance;
        _gNa = parameters.Conductance(parameters.gnabar);
        _gK = parameters.Conductance(parameters.gkbar);
        _gL = parameters.Conductance(parameters.gl);
        _q10 = HhKinetics.Q10(parameters.celsius);
        double v0 = parameters.V_init;
        // The gates start at their steady state at V_init, as finitialize sets them.
        HhKinetics.Steady(v0, _q10, out double mInf, out _, out double hInf, out _, out double nInf, out _);
        _v = AddVariable("V", "mV", v0);
        _m = AddVariable("m", "1", mInf);
        _h = AddVariable("h", "1", hInf);
        _n = AddVariable("n", "1", nInf);
        var synapses = AddSynapticState();
        _s = synapses.S;
        _tau = synapses.Tau;
        _eCoefficient = synapses.Drive;
        _gCoefficient = synapses.Conductance;
    }

    /// <summary>The parameters the population was built with.</summary>
    public HhParameters Parameters => _p;

    /// <summary>exp-current (pA) and exp-conductance (nS).</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpCurrent, ReceptorSpec.ExpConductance];

    /// <summary>Builds the population; the model draws no random numbers, so <paramref name="seed"/> is unused.</summary>
    public static HhPopulation Create(string name, int size, HhParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <summary>The synaptic decays e^{−dt/τ_k} over one step.</summary>
    protected override void PrepareModel(double dt)
    {
        _pFull = Decays(_tau, dt);
    }

    /// <inheritdoc/>
    public override void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        RequirePrepared(dt);
        int receptors = _s.Length;
        ApplyArrivingInput(_s, start, end);
        if (TimedInput is not null || _local is not null)
        {
            AdvanceByPieces(t, dt, start, end, spikes);
            return;
        }

        double qdt = _q10 * dt, vTh = _p.V_th;
        var injected = InjectedCurrent;
        for (int i = start; i < end; i++)
        {
            double v = _v[i], m = _m[i], h = _h[i], n = _n[i];
            // The synaptic drive at the start of the step (frozen over it), then the exact decay.
            // The injected current (constant over the step) adds to the synaptic current.
            double stimulus = injected is null ? 0 : injected[i];
            double gSyn = 0, iSyn = stimulus;
            for (int k = 0; k < receptors; k++)
            {
                double s = _s[k][i];
                gSyn += s * _gCoefficient[k];
                iSyn += s * _eCoefficient[k];
                _s[k][i] = s * _pFull[k];
            }
            Membrane(m, h, n, gSyn, iSyn, out double g, out double current);
            double vInf = current / g;
            double vNew = vInf + (v - vInf) * Math.Exp(-dt * g / _c);

            HhKinetics.Rates(v, out double am, out double bm, out double ah, out double bh, out double an, out double bn);
            double sm = am + bm, sh = ah + bh, sn = an + bn;
            double mNew = am / sm + (m - am / sm) * Math.Exp(-qdt * sm);
            double hNew = ah / sh + (h - ah / sh) * Math.Exp(-qdt * sh);
            double nNew = an / sn + (n - an / sn) * Math.Exp(-qdt * sn);

            if (!double.IsFinite(vNew)) throw new SimulationDivergedException(Name, "V", i, t + dt);
            if (Math.Abs(vNew) > PlausibleVoltage)
            {
                throw new SimulationDivergedException(Name, "V", i, t + dt, vNew, $"[−{PlausibleVoltage}, {PlausibleVoltage}] mV",
                    "the input drives V far beyond every reversal potential: check the synaptic weights (pA for exp-current, nS for exp-conductance) and I_e");
            }
            if (v < vTh && vNew >= vTh)
            {
                double f0 = (current - g * v) / _c;
                double gSynEnd = 0, iSynEnd = stimulus;
                for (int k = 0; k < receptors; k++)
                {
                    double s = _s[k][i];
                    gSynEnd += s * _gCoefficient[k];
                    iSynEnd += s * _eCoefficient[k];
                }
                Membrane(mNew, hNew, nNew, gSynEnd, iSynEnd, out double g1, out double current1);
                double f1 = (current1 - g1 * vNew) / _c;
                spikes.Add(i, t + HermiteCrossing.Locate(v, f0, vNew, f1, dt, vTh));
            }
            _v[i] = vNew;
            _m[i] = mNew;
            _h[i] = hNew;
            _n[i] = nNew;
        }
    }

    /// <inheritdoc/>
    public void AttachCurrent(CurrentProjection projection) => AttachCurrentInput(projection);

    /// <summary>Total conductance G (nS) and the current G·V_∞ (pA) that the membrane equation is linear in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Membrane(double m, double h, double n, double gSyn, double iSyn, out double g, out double current)
    {
        double gNa = _gNa * m * m * m * h;
        double n2 = n * n;
        double gK = _gK * n2 * n2;
        g = gNa + gK + _gL + gSyn;
        current = gNa * _p.ena + gK * _p.ek + _gL * _p.el + _p.I_e + iSyn;
    }
}
