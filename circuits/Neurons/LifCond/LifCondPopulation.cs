using System.Runtime.CompilerServices;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Stimuli;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.LifCond;

/// <summary>
/// Leaky integrate-and-fire neurons with conductance-based exponential synapses, the neuron of the COBA
/// benchmark (Brette et al. 2007; Vogels &amp; Abbott 2005):
/// <code>
///   C_m dV/dt = g_L (E_L − V) + Σ_cond g_k (E_k − V) + Σ_cur I_k + I_e + I_stim     (unless refractory: V = V_reset)
///   τ_k dg_k/dt = −g_k,  g_k += weight (nS);   τ_k dI_k/dt = −I_k,  I_k += weight (pA)
///   V ≥ V_th → spike, V ← V_reset for t_ref
/// </code>
/// <b>Integration.</b> The synaptic variables decay exactly (e^{−h/τ_k}). Over an interval of length h the
/// membrane equation is linear in V with a time-varying total conductance; it is solved exactly with the
/// conductances and currents frozen at their averages over the interval, ḡ_k = g_k τ_k/h (1 − e^{−h/τ_k}):
/// V(h) = V_∞ + (V − V_∞) e^{−h G/C_m}, G = g_L + Σ ḡ_k, V_∞ = (g_L E_L + Σ ḡ_k E_k + Σ Ī_k + I_e)/G.
/// The average is the first Magnus term of the exact propagator, so the scheme is second order in h
/// (local error O(h³)), exact when no synapse is active, unconditionally stable, and V stays between
/// the reversal potentials. <b>Spikes.</b> A crossing of V_th is located inside the step by solving the
/// same closed form for its time θ, with the averages taken over [0, θ] (a fixed-point iteration, so the
/// spike time is the one the integrator itself would reach with a sub-step of length θ). Refractoriness
/// is as in <see cref="Lif.LifPopulation"/>: its end is honoured inside the step, and input that arrives
/// during it still builds up the conductances.
/// </summary>
public sealed partial class LifCondPopulation : IntegrateAndFirePopulation, IPopulationFactory<LifCondParameters, LifCondPopulation>, IExactInput, ILocalStepping, ICurrentTarget
{
    /// <summary>|V| beyond this (mV) is far past every reversal potential: a runaway input, stopped as a divergence.</summary>
    public const double PlausibleVoltage = 1000;

    private const string PlausibleAdvice = "the input drives V far beyond every reversal potential: check the synaptic weights (pA for exp-current, nS for exp-conductance) and I_e";

    private readonly LifCondParameters _p;
    private readonly double[][] _s;
    private readonly double[] _tau;
    private readonly double[] _eCoefficient;   // adds g_k E_k (conductance) or I_k (current) to the driving sum
    private readonly double[] _gCoefficient;   // 1 for conductances, 0 for currents

    private double[] _pFull = [];
    private double[] _averageFull = [];

    /// <summary>Neurons at V = E_L, not refractory, synaptic variables at 0.</summary>
    /// <param name="name">The population's name, as experiment files and reports use it.</param>
    /// <param name="size">Number of neurons, &gt; 0.</param>
    /// <param name="parameters">The model's parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the population and the field).</param>
    /// <param name="receptors">The input ports: exp-conductance (weights in nS) or exp-current (weights in pA).</param>
    public LifCondPopulation(string name, int size, LifCondParameters parameters, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "lif-cond", parameters, parameters.E_L, parameters.t_ref, HeldAboveThreshold)
    {
        _p = parameters;
        var synapses = AddSynapticState();
        _s = synapses.S;
        _tau = synapses.Tau;
        _eCoefficient = synapses.Drive;
        _gCoefficient = synapses.Conductance;
    }

    /// <summary>The parameters the population was built with.</summary>
    public LifCondParameters Parameters => _p;

    /// <summary>exp-conductance (nS) and exp-current (pA).</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [ReceptorSpec.ExpConductance, ReceptorSpec.ExpCurrent];

    /// <summary>Builds the population; the model draws no random numbers, so <paramref name="seed"/> is unused.</summary>
    public static LifCondPopulation Create(string name, int size, LifCondParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <summary>The synaptic decays e^{−dt/τ_k} and averaging factors τ_k/dt (1 − e^{−dt/τ_k}) of one full step (see <see cref="AverageFactor"/>).</summary>
    protected override void PrepareModel(double dt)
    {
        _pFull = Decays(_tau, dt);
        _averageFull = _tau.Select(tau => AverageFactor(tau, dt)).ToArray();
    }

    /// <summary>(1/h) ∫₀ʰ e^{−s/τ} ds = τ/h (1 − e^{−h/τ}), by its series when h/τ is small.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double AverageFactor(double tau, double h)
    {
        double x = h / tau;
        return x < 1e-4 ? 1 - x / 2 + x * x / 6 : -double.ExpM1(-x) / x;
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

        double gL = _p.g_L, leakDrive = _p.g_L * _p.E_L + _p.I_e, vTh = _p.V_th, dtOverC = dt / _p.C_m;
        var injected = InjectedCurrent;
        for (int i = start; i < end; i++)
        {
            if (RefractoryEnd[i] > t)
            {
                AdvanceGeneral(i, t, dt, spikes);
                continue;
            }
            double g = gL, drive = injected is null ? leakDrive : leakDrive + injected[i];
            for (int k = 0; k < receptors; k++)
            {
                double s = _s[k][i] * _averageFull[k];
                g += s * _gCoefficient[k];
                drive += s * _eCoefficient[k];
            }
            double vInf = drive / g;
            double vNew = vInf + (Membrane[i] - vInf) * Math.Exp(-dtOverC * g);
            // Below threshold and within the plausible range: the quiet step; otherwise the general one fires or stops the run.
            if (vNew < vTh && vNew >= -PlausibleVoltage)
            {
                Membrane[i] = vNew;
                for (int k = 0; k < receptors; k++) _s[k][i] *= _pFull[k];
            }
            else
            {
                AdvanceGeneral(i, t, dt, spikes);
            }
        }
    }

    /// <summary>The general step of one neuron: refractoriness ending and threshold crossings located inside the step.</summary>
    private void AdvanceGeneral(int i, double t, double dt, SpikeList spikes)
    {
        double v = Membrane[i], refractoryEnd = RefractoryEnd[i];
        double elapsed = 0;
        int emitted = 0;
        while (true)
        {
            if (refractoryEnd > t + elapsed)
            {
                v = _p.V_reset;
                double until = refractoryEnd - t;
                if (until >= dt) break;
                elapsed = until;
            }
            double remaining = dt - elapsed;
            Interval(i, elapsed, remaining, out double g, out double vInf);
            double vEnd = vInf + (v - vInf) * Math.Exp(-remaining * g / _p.C_m);
            SimulationDivergedException.ThrowIfImplausible(Name, "V", i, t + dt, vEnd, -PlausibleVoltage, PlausibleVoltage, "mV", PlausibleAdvice);
            if (vEnd < _p.V_th)
            {
                v = vEnd;
                break;
            }

            double theta = v >= _p.V_th ? 0 : CrossingTime(v, g, vInf, remaining);
            for (int iteration = 0; iteration < 3 && theta > 0; iteration++)
            {
                // Averages over [0, θ] instead of the whole remainder: the fixed point is the integrator's own crossing.
                Interval(i, elapsed, theta, out double gTheta, out double vInfTheta);
                if (!(vInfTheta > _p.V_th)) break;
                theta = CrossingTime(v, gTheta, vInfTheta, remaining);
            }
            elapsed = Math.Min(elapsed + theta, dt);
            refractoryEnd = Fire(i, t, elapsed, ref emitted, spikes);
            v = _p.V_reset;
            if (_p.t_ref == 0 && elapsed >= dt) break;
        }
        Membrane[i] = v;
        RefractoryEnd[i] = refractoryEnd;
        for (int k = 0; k < _s.Length; k++) _s[k][i] *= _pFull[k];
    }

    /// <inheritdoc/>
    public void AttachCurrent(CurrentProjection projection) => AttachCurrentInput(projection);

    /// <summary>Time for V to go from v to V_th under the frozen G and V_∞ (V_∞ &gt; V_th), clamped to [0, h].</summary>
    private double CrossingTime(double v, double g, double vInf, double h)
    {
        double theta = _p.C_m / g * Math.Log((vInf - v) / (vInf - _p.V_th));
        return double.IsFinite(theta) ? Math.Clamp(theta, 0, h) : h;
    }

    /// <summary>
    /// Total conductance G (nS) and V_∞ (mV) over [<paramref name="offset"/>, offset + h] of the step, with each
    /// synaptic variable replaced by its average over that interval.
    /// </summary>
    private void Interval(int i, double offset, double h, out double g, out double vInf)
    {
        g = _p.g_L;
        double drive = _p.g_L * _p.E_L + _p.I_e + Injected(i);
        for (int k = 0; k < _s.Length; k++)
        {
            double s = _s[k][i] * Math.Exp(-offset / _tau[k]) * AverageFactor(_tau[k], h);
            g += s * _gCoefficient[k];
            drive += s * _eCoefficient[k];
        }
        vInf = drive / g;
    }
}
