using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.NeuralOde;
using BioSim.Engine.Ode;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Neurons.RateCircuit;

/// <summary>
/// A small firing-rate circuit, τ_i dx_i/dt = −x_i + Σ_j W_ij tanh(x_j) + Σ_k U_ik u_k(t) + b_i (Wilson–Cowan /
/// Hopfield-type rate units; the model <c>biosim fit</c> recovers W, U, b and τ from), with an optional sinusoidal drive
/// u_k(t) = Σ_r A_kr sin(ω_kr t + φ_kr), t in ms. State variable: <c>x</c> (dimensionless activation). No receptors and
/// no spikes. <b>Integration</b>: classical RK4 with the simulation step over the whole circuit (the units are coupled
/// through W, so the population is one parallel range); the right-hand side is the engine's
/// <see cref="RateCircuitField"/>, the very field <c>biosim fit</c> fits. Local error O(dt⁵/τ⁵): dt = 0.1 ms with τ ≥ 5 ms
/// is far below any fitting tolerance.
/// </summary>
public sealed class RateCircuitPopulation : NeuronPopulation, IDynamics, IPopulationFactory<RateCircuitParameters, RateCircuitPopulation>
{
    /// <summary>False: a rate model emits no spikes.</summary>
    public override bool EmitsSpikes => false;

    private readonly RateCircuitField _field;
    private readonly ExplicitRungeKutta _stepper;
    private readonly FieldAsSystem _system;
    private readonly double[] _x, _next;

    /// <summary>A circuit of <paramref name="size"/> units with the weights, biases, time constants and drive of <paramref name="p"/>.</summary>
    /// <param name="name">Population name (experiment files, reports).</param>
    /// <param name="size">Number of units; must equal the rows of W.</param>
    /// <param name="p">The circuit's parameters (validated by the base).</param>
    /// <param name="receptors">Must be empty: rate units take no spikes.</param>
    /// <exception cref="ArgumentException">The size and W disagree, or a parameter is invalid.</exception>
    public RateCircuitPopulation(string name, int size, RateCircuitParameters p, IReadOnlyList<ReceptorSpec> receptors)
        : base(name, size, receptors, "rate-circuit", p)
    {
        if (p.Units != size) throw new ArgumentException($"Population '{name}' (rate-circuit): size is {size}, but W has {p.Units} rows; they must agree (one unit per row).");
        Parameters = p;
        int n = size, m = p.Inputs;
        IInputSignal? input = null;
        if (m > 0)
        {
            int r = p.input_amplitude![0].Length;
            input = new SinusoidInput(m, r, [.. p.input_amplitude.SelectMany(row => row)], [.. p.input_omega!.SelectMany(row => row)],
                p.input_phase is null ? new double[m * r] : [.. p.input_phase.SelectMany(row => row)]);
        }
        _field = new RateCircuitField(n, input);
        for (int i = 0; i < n; i++)
        {
            p.W[i].CopyTo(_field.W.Slice(i * n, n));
            if (m > 0) p.U![i].CopyTo(_field.U.Slice(i * m, m));
        }
        p.b?.CopyTo(_field.Bias);
        p.tau.CopyTo(_field.Tau);
        _stepper = new ExplicitRungeKutta(ButcherTableau.RK4, n);
        _system = new FieldAsSystem(_field);
        _x = AddVariable("x", "1");
        _next = new double[n];
    }

    /// <summary>The parameters the circuit was built from.</summary>
    public RateCircuitParameters Parameters { get; }

    /// <summary>None: a rate circuit has no receptors.</summary>
    public static IReadOnlyList<string> ReceptorModels { get; } = [];

    /// <summary>The model's factory (the seed is unused: the circuit draws no random numbers).</summary>
    /// <param name="name">Population name.</param>
    /// <param name="size">Number of units.</param>
    /// <param name="parameters">The circuit's parameters.</param>
    /// <param name="receptors">Must be empty.</param>
    /// <param name="seed">Unused.</param>
    /// <returns>The population.</returns>
    public static RateCircuitPopulation Create(string name, int size, RateCircuitParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed) =>
        new(name, size, parameters, receptors);

    /// <summary>The units are coupled through W: the whole population is stepped as one range.</summary>
    public int ParallelChunk => Size;

    /// <summary>Nothing to derive: RK4 takes dt as it comes.</summary>
    /// <param name="dt">Step, ms.</param>
    protected override void PrepareModel(double dt)
    {
    }

    /// <summary>One RK4 step of the whole circuit from t to t + dt; a non-finite unit stops the run naming it.</summary>
    /// <param name="t">Time at the start of the step, ms.</param>
    /// <param name="dt">Step, ms.</param>
    /// <param name="start">Must be 0 (the units are coupled).</param>
    /// <param name="end">Must be <see cref="NeuronPopulation.Size"/>.</param>
    /// <param name="spikes">Unused: rate units do not spike.</param>
    public override void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        if (start != 0 || end != Size) throw new InvalidOperationException($"Population '{Name}' (rate-circuit) must be advanced as one range, not [{start}, {end}).");
        _limit ??= Limits();
        _stepper.Step(_system, t, _x, dt, _next, default);
        for (int i = 0; i < _next.Length; i++)
        {
            if (!double.IsFinite(_next[i])) throw new SimulationDivergedException(Name, "x", i, t + dt);
            if (Math.Abs(_next[i]) > _limit[i])
            {
                double tauMin = Parameters.tau.Min();
                string stability = dt > Rk4StabilityLimit * tauMin
                    ? $"dt = {dt:G4} ms is beyond RK4's stability limit for the fastest unit (dt ≤ 2.785 τ = {Rk4StabilityLimit * tauMin:G4} ms): lower dt"
                    : "lower dt or check W, b and the inputs";
                throw new SimulationDivergedException(Name, "x", i, t + dt, _next[i], $"|x| ≤ {_limit[i]:G4}", stability);
            }
        }
        _next.CopyTo(_x, 0);
    }

    /// <summary>RK4's stability limit on the negative real axis: |1 + z + z²/2 + z³/6 + z⁴/24| ≤ 1 for z ∈ [−2.785, 0].</summary>
    private const double Rk4StabilityLimit = 2.785;

    private double[]? _limit;

    /// <summary>
    /// Each unit's plausible range: the exact solution of τ dx/dt = −x + W tanh(x) + U u(t) + b satisfies
    /// |x_i(t)| ≤ max(|x_i(t₀)|, B_i) with B_i = Σ_j |W_ij| + |b_i| + Σ_k |U_ik| Σ_m |a_km| (tanh and the sinusoids are bounded),
    /// so twice that (plus 1e-9) is a range no correct integration leaves; RK4 beyond its stability limit does, long before
    /// it overflows. From the state when stepping starts (after a resume the bound is at least as tight as the first run's,
    /// and still holds for the exact solution).
    /// </summary>
    private double[] Limits()
    {
        var p = Parameters;
        var limits = new double[Size];
        for (int i = 0; i < Size; i++)
        {
            double bound = p.W[i].Sum(Math.Abs) + Math.Abs(p.b?[i] ?? 0);
            for (int k = 0; k < p.Inputs; k++) bound += Math.Abs(p.U![i][k]) * p.input_amplitude![k].Sum(Math.Abs);
            limits[i] = 2 * Math.Max(bound, Math.Abs(_x[i])) + 1e-9;
        }
        return limits;
    }

    private sealed class FieldAsSystem(IParametricVectorField vectorField) : IOdeSystem
    {
        public int Dimension => vectorField.Dimension;

        public void Derivatives(double t, ReadOnlySpan<double> y, Span<double> dydt) => vectorField.Evaluate(t, y, dydt, default);
    }
}
