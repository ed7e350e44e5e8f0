using BioSim.Circuits.Microcircuit;
using BioSim.Engine.Events;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Dendritic;

/// <summary>
/// The dendritic cortical microcircuit of Sacramento, Costa, Bengio &amp; Senn (NeurIPS 2018) as a credit-assignment rule of
/// <c>biosim compare</c> ("dendritic-error"), so that it trains the comparison's network through the one training loop next to
/// backprop and feedback alignment. The network's dense layers are the circuit's layers: layer l's weights W_l (n_l × n_{l−1})
/// are the circuit's effective bottom-up weights k_l W^PP_{l,l−1}, k_l = g_B/(g_lk + g_B + g_A) in hidden layers and
/// g_B/(g_lk + g_B) at the output, so the network's forward pass is exactly what the circuit computes in the self-predicting
/// state without a target (hidden rates φ(u), output potentials u). The network must have no biases, scale 1, the same φ in
/// every hidden layer (<c>softplus</c> = the paper's soft rectifier, or <c>logistic</c>) and an <c>identity</c> output (the output
/// potentials); the loss is <c>mse</c> (the output is nudged towards the targets as potentials). The top-down weights
/// W^PP_{l,l+1} (<see cref="TopDown"/>), the lateral weights W^IP_l and W^PI_l (<see cref="SelfPredicting"/>) and the low-pass
/// filter states of the updates are the rule's state (saved with the comparison's checkpoints).
/// <para>
/// For every sample of a minibatch (rows in order; batch 1 is the paper's online learning) the output is nudged towards the
/// target with g_som and the dendritic error rule gives, per ms,
/// <code>
///   basal   dW^PP_{l,l−1} = η^PP_l (φ(u_l) − φ(k_l v_B,l)) r_{l−1}ᵀ       interneuron  dW^IP_l = η^IP_l (φ(u^I_l) − φ(g_D/(g_lk+g_D) v_D,l)) r_lᵀ
///   apical  dW^PI_l       = η^PI_l (−v_A,l) r^I_lᵀ                        top-down     dW^PP_{l,l+1} = η^down_l (φ(u_l) − φ(W^PP_{l,l+1} r_{l+1})) r_{l+1}ᵀ
/// </code>
/// each induction (the bracket times the presynaptic rate) low-pass filtered with τ_w before it changes the weight. At the
/// output (and in the interneurons paired with it) φ is the output cells' rate ρ (<see cref="OutputRate"/>): φ as in the paper,
/// or the identity, so that the circuit learns the network's own mse (the steady state's update is then feedback alignment's
/// or backprop's with per-layer rates; with φ it learns the mse of soft-rectified rates, and its compensated fixed-random
/// variant diverged on all of Fashion-MNIST: see <see cref="OutputRate"/>).
/// The forward weights' change over the minibatch, in the network's units (k_l times the circuit's), is handed to the
/// optimiser as ΔW_l = −k_l ΔW^PP_l (+ λ W_l with an output penalty): with SGD, lr 1 and no momentum the network's weights
/// change exactly as the circuit's rule changes them (give the rule <c>"lr": 1</c> and <c>"optimiser": {"type": "sgd"}</c> in
/// its comparison entry); the lateral and top-down changes the rule applies itself.
/// </para>
/// <para>
/// <b><see cref="MicrocircuitDynamics.SteadyState"/></b> (default): per sample the circuit's fixed point with the output nudged is
/// solved (sweeps of the fixed-point equations u_l = k_l v_B,l + g_A/(g_lk+g_B+g_A) v_A,l, u_L = (1 − λ) k_L v_B,L + λ u^trgt,
/// u^I_l = (1 − λ_I) g_D/(g_lk+g_D) v_D,l + λ_I u_{l+1}, λ = g_som/(g_lk+g_B+g_som), λ_I = g_som/(g_lk+g_D+g_som), all
/// samples of the minibatch at once through the network's matrix product, until no potential moves by more than
/// <see cref="Tolerance"/>), and the inductions D = e preᵀ at that fixed point are integrated over the sample's duration T
/// with the filter in closed form: a filter state S at the sample's start gives ∫₀ᵀ S(t) dt = a S + (T − a) D and ends at
/// c S + (1 − c) D, c = e^{−T/τ_w}, a = τ_w (1 − c); over the B samples of a minibatch that sums to
/// τ_w (1 − c^B) S₀ + Σ_i (T − a c^{B−1−i}) D_i and S_B = c^B S₀ + Σ_i (1 − c) c^{B−1−i} D_i, two matrix products per matrix.
/// What it approximates: the circuit is taken to sit at its nudged fixed point for the whole sample (the full dynamics
/// start each sample from the previous sample's state and settle within a few ms, τ = 1/(g_lk + g_B + g_A) ≈ 0.5 ms per soma),
/// the weights are held over the sample (and over the minibatch), and there is no noise. The errors of the hidden layers
/// are written to the tape (δ_l = −(φ(u_l) − φ(k_l v_B,l))) so that the comparison can measure their angle to backprop's.
/// </para>
/// <para>
/// <b><see cref="MicrocircuitDynamics.Full"/></b>: a <see cref="CorticalMicrocircuit"/> with the <see cref="DendriticErrorRule"/>
/// attached runs every sample in continuous time, dt <see cref="Dt"/> ms for <see cref="SampleDuration"/> ms, input clamped and
/// output nudged, never reset between samples (its potentials, lateral weights and filter states are the rule's state); the
/// forward weights are set from the network before each minibatch and their change is handed to the optimiser as above.
/// </para>
/// Prediction (<see cref="Infer"/>, used for the test accuracy) is the circuit's fixed point without a target, in both modes
/// (the state the continuous dynamics relax to within a sample).
/// </summary>
public sealed class DendriticErrorCreditAssignment : ICreditAssignmentRule, IInferenceRule, IFeedbackMatrixRule, INetworkConstraint
{
    private const string Component = "dendritic-error";

    private int _layers;                    // L
    private int[] _n = [];                  // n_0 … n_L
    private double[] _k = [];               // k_l, l = 1 … L
    private Activation _phi = new Softplus();
    private Activation _outputRate = new Softplus();   // ρ of the output cells: φ, or the identity (OutputRate)
    private double _apical, _nudge, _nudgeInter, _dendrite;
    private double[] _etaForward = [], _etaIP = [], _etaPI = [], _etaDown = [];

    // Hidden layer l at index l (index 0 unused): top-down B_l (n_l × n_{l+1}), W^PI_l (n_l × n_{l+1}), W^IP_l (n_{l+1} × n_l).
    private double[][] _topDown = [], _interToApical = [], _pyrToInter = [];
    // Filter states (null when τ_w = 0 or the matrix is not plastic): forward at index l (n_l × n_{l−1}), the others as above.
    private double[]?[] _filterForward = [], _filterIP = [], _filterPI = [], _filterDown = [];

    // Batch buffers (capacity × width, rows are samples), layer l at index l.
    private int _capacity;
    private double[][] _u = [], _r = [], _basal = [], _uI = [], _rI = [], _vD = [], _vA = [], _old = [], _oldI = [];
    private double[] _error = [], _scaled = [], _scratch = [];
    private double[] _targets = [];
    private int _targetRows;
    private long _samples;

    private CorticalMicrocircuit? _circuit;
    private SpikeList? _spikes;
    private double[][] _before = [];
    private int _stepsPerSample;

    /// <summary>"steady-state" (default) or "full": see the class summary.</summary>
    public MicrocircuitDynamics Dynamics { get; init; } = MicrocircuitDynamics.SteadyState;

    /// <summary>g_lk, somatic leak (1/ms), &gt; 0. Default 0.1 (the paper's).</summary>
    public double GLk { get; init; } = 0.1;

    /// <summary>g_B, basal-to-soma coupling (1/ms), &gt; 0. Default 1.</summary>
    public double GB { get; init; } = 1.0;

    /// <summary>g_A, apical-to-soma coupling of hidden cells (1/ms), ≥ 0. Default 0.8.</summary>
    public double GA { get; init; } = 0.8;

    /// <summary>g_D, dendrite-to-soma coupling of the interneurons (1/ms), &gt; 0. Default 1.</summary>
    public double GD { get; init; } = 1.0;

    /// <summary>g_som, somatic nudging of the output towards the target and of the interneurons towards their partners (1/ms), ≥ 0. Default 0.8.</summary>
    public double GSom { get; init; } = 0.8;

    /// <summary>η^PP_l for the forward weights (1/ms): one value for every layer or one per layer (L values). Default [0.0005].
    /// With one value the hidden layers learn more slowly than under feedback alignment or backprop with the same top-down
    /// matrix: the hidden error reaches the soma attenuated by g_A/(g_lk+g_B+g_A) and by the interneurons' subtraction
    /// (1 − λ_I), and in the network's units by k_l/k_{l+1}², together 0.155 at the paper's g's for 784-500-10
    /// (tests/Microcircuit/MicrocircuitSteadyStateTests, examples/compare-dendritic-fixed-fashion.json): divide a hidden
    /// layer's η by that factor to give it feedback alignment's relative rate.</summary>
    public IReadOnlyList<double> EtaPP { get; init; } = [0.0005];

    /// <summary>η^IP_l (1/ms), one value or one per hidden layer; used when the lateral weights are learned. Default [0.0011875]
    /// (Sacramento et al. 2018, Fig. S1).</summary>
    public IReadOnlyList<double> EtaIP { get; init; } = [0.0011875];

    /// <summary>η^PI_l (1/ms), one value or one per hidden layer; used when the lateral weights are learned. Default [0.0005] (Fig. S1).</summary>
    public IReadOnlyList<double> EtaPI { get; init; } = [0.0005];

    /// <summary>η^down_l (1/ms), one value or one per hidden layer; used with plastic top-down weights. Default [0.0005].</summary>
    public IReadOnlyList<double> EtaDown { get; init; } = [0.0005];

    /// <summary>τ_w, time constant of the low-pass filter on the weight changes (ms), ≥ 0 (0: unfiltered). Default 30.</summary>
    public double TauW { get; init; } = 30.0;

    /// <summary>T, how long each sample is presented (ms), &gt; 0. Default 100.</summary>
    public double SampleDuration { get; init; } = 100.0;

    /// <summary>dt of the full dynamics (ms), &gt; 0; T must be a whole number of steps. Default 0.1.</summary>
    public double Dt { get; init; } = 0.1;

    /// <summary>σ of the somatic noise of the full dynamics (mV/√ms), ≥ 0. Default 0.</summary>
    public double Noise { get; init; }

    /// <summary>"fixed" (default, random: feedback-alignment-like), "plastic" or "symmetric" (the transposed forward weights).</summary>
    public TopDownWeights TopDown { get; init; } = TopDownWeights.Fixed;

    /// <summary>Law of the random top-down weights in the network's units, or null for U[−1/√n_l, 1/√n_l] (feedback
    /// alignment's default; the circuit's W^PP_{l,l+1} is this over k_{l+1}).</summary>
    public Distribution? Feedback { get; init; }

    /// <summary>
    /// "phi" (default) or "identity": the output cells' rate ρ(u_L) (see <see cref="Dendritic.OutputRate"/>). With "phi" the
    /// output error is φ(u_L) − φ(k_L v_B,L) ≈ φ′(û_L) λ (u^trgt − û_L): the circuit descends the mse of soft-rectified rates,
    /// not the mse of the network's identity output that backprop and feedback alignment descend, and every output's error,
    /// at the output and through the top-down weights in the hidden layers, is weighted by φ′(û_L) (for the soft rectifier
    /// σ(û_L): more for an output above its target than for one below it). With "phi" the compensated fixed-random circuit
    /// diverged on Fashion-MNIST (examples/compare-dendritic-fashion-full.json); on 10 000 of its images its hidden rates grew
    /// (mean |r_1|² 283 after 10 000 samples, 372 after 50 000, where the loss turned up), while with "identity" at the same η
    /// (~1.9 times the effective rates) |r_1|² stayed at 285-289. "identity" gives linear output cells (the interneurons
    /// paired with them are linear too, so the self-predicting state still cancels): the circuit learns the network's mse,
    /// and its steady-state update is feedback alignment's (or backprop's, with symmetric top-down weights) with per-layer
    /// rates in closed form (tests/Microcircuit/MicrocircuitOutputRateTests). Steady-state dynamics only.
    /// </summary>
    public OutputRate OutputRate { get; init; } = OutputRate.Phi;

    /// <summary>"analytic" (default), "analytic-then-learned" or "learned": see <see cref="LateralWeights"/>.</summary>
    public LateralWeights SelfPredicting { get; init; } = LateralWeights.Analytic;

    /// <summary>Largest change of any potential (mV) at which the steady-state sweeps stop, &gt; 0. Default 1e-10.</summary>
    public double Tolerance { get; init; } = 1e-10;

    /// <summary>Most steady-state sweeps per minibatch before the solve fails, ≥ 1. Default 500.</summary>
    public int MaxSweeps { get; init; } = 500;

    /// <summary>B_l for l = 2 … L at index l − 2: the top-down weights onto hidden layer l − 1 in the network's units
    /// (k_l W^PP_{l−1,l}), n_{l−1} × n_l like W_lᵀ.</summary>
    public IReadOnlyList<double[]> FeedbackWeights
    {
        get
        {
            _circuit?.SynchroniseWeights();   // the full dynamics' rule may keep a tall matrix transposed: copy it into the arrays first
            return [.. Enumerable.Range(1, Math.Max(0, _layers - 1)).Select(l => Scaled(_topDown[l], _k[l + 1]))];
        }
    }

    /// <summary>Why the last minibatch's updates are NaN (the circuit ran away or its fixed point was not reached), or null.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>Sweeps the last steady-state solve took.</summary>
    public int LastSweeps { get; private set; }

    /// <summary>Samples learned so far (the full dynamics' clock is this times the steps per sample).</summary>
    public long Samples => _samples;

    /// <summary>The continuous-time circuit of the full dynamics (null in steady-state mode or before Prepare).</summary>
    public CorticalMicrocircuit? Circuit => _circuit;

    /// <summary>Mean |v_A| over the hidden layers' apical compartments and the rows of the last solve (steady state) or at the end
    /// of the last sample (full dynamics).</summary>
    public double MeanAbsoluteApical { get; private set; }

    /// <inheritdoc/>
    public void Prepare(Network network, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        Validate();
        _layers = network.Layers.Count;
        int L = _layers;
        _n = new int[L + 1];
        _n[0] = network.InputSize;
        for (int l = 1; l <= L; l++) _n[l] = network.Layers[l - 1].Outputs;
        if (Check(network.InputSize, [.. network.Layers.Select(x => new LayerSpec(x.Outputs, x.Activation, x.Bias is not null, x.Scale))]) is { } problem)
            throw new ArgumentException(problem, nameof(network));
        _phi = L > 1 ? network.Layers[0].Activation : new Softplus();
        _outputRate = OutputRate == OutputRate.Identity ? new Identity() : _phi;
        _k = new double[L + 1];
        for (int l = 1; l <= L; l++) _k[l] = l == L ? GB / (GLk + GB) : GB / (GLk + GB + GA);
        _apical = GA / (GLk + GB + GA);
        _nudge = GSom / (GLk + GB + GSom);
        _nudgeInter = GSom / (GLk + GD + GSom);
        _dendrite = GD / (GLk + GD);
        _etaForward = Rates(EtaPP, L, "eta_pp");
        bool learned = SelfPredicting != LateralWeights.Analytic;
        _etaIP = learned ? Rates(EtaIP, L - 1, "eta_ip") : new double[L];
        _etaPI = learned ? Rates(EtaPI, L - 1, "eta_pi") : new double[L];
        _etaDown = TopDown == TopDownWeights.Plastic ? Rates(EtaDown, L - 1, "eta_down") : new double[L];

        _topDown = new double[L][];
        _interToApical = new double[L][];
        _pyrToInter = new double[L][];
        _topDown[0] = _interToApical[0] = _pyrToInter[0] = [];
        for (int l = 1; l < L; l++)
        {
            double a = 1.0 / Math.Sqrt(_n[l]);
            var law = Feedback ?? new UniformDistribution(-a, a);
            var rng = new RandomStream(seed, Component, $"B{l + 1}");
            _topDown[l] = new double[_n[l] * _n[l + 1]];
            // Drawn in the network's units (like feedback alignment's B), stored in the circuit's.
            for (int i = 0; i < _topDown[l].Length; i++) _topDown[l][i] = law.Sample(ref rng) / _k[l + 1];
            _interToApical[l] = RandomMatrix(seed, $"W_PI_{l}", _n[l], _n[l + 1]);
            _pyrToInter[l] = RandomMatrix(seed, $"W_IP_{l}", _n[l + 1], _n[l]);
        }
        _samples = 0;
        _capacity = 0;
        _targetRows = 0;
        if (Dynamics == MicrocircuitDynamics.Full) PrepareCircuit(seed);
        else
        {
            _circuit = null;
            _filterForward = new double[]?[L + 1];
            _filterIP = new double[]?[L];
            _filterPI = new double[]?[L];
            _filterDown = new double[]?[L];
            if (TauW > 0)
            {
                for (int l = 1; l <= L; l++) if (_etaForward[l] > 0) _filterForward[l] = new double[_n[l] * _n[l - 1]];
                for (int l = 1; l < L; l++)
                {
                    if (_etaIP[l] > 0) _filterIP[l] = new double[_n[l + 1] * _n[l]];
                    if (_etaPI[l] > 0) _filterPI[l] = new double[_n[l] * _n[l + 1]];
                    if (_etaDown[l] > 0) _filterDown[l] = new double[_n[l] * _n[l + 1]];
                }
            }
        }
        // The lateral and top-down weights follow the initial forward weights where the options tie them to them.
        Synchronise(network, initial: true);
    }

    /// <inheritdoc/>
    public string? Check(int inputs, IReadOnlyList<LayerSpec> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        int L = layers.Count;
        for (int l = 1; l <= L; l++)
        {
            var layer = layers[l - 1];
            string name = $"layer {l} ({(l == 1 ? inputs : layers[l - 2].Size)} → {layer.Size})", act = layer.Activation.Name;
            if (layer.Bias) return $"dendritic-error: {name} has a bias, but the microcircuit's cells have none; set \"bias\": false in the architecture.";
            if (layer.Scale != 1.0) return $"dendritic-error: {name} has output_scale {layer.Scale}; the microcircuit needs 1.";
            if (l == L && act != "identity") return $"dendritic-error: the output layer's activation is '{act}', but the microcircuit's output is its somatic potential: use \"output_activation\": \"identity\".";
            if (l < L && act != "softplus" && act != "logistic") return $"dendritic-error: {name} has activation '{act}'; the microcircuit's rate functions are softplus (the paper's soft rectifier) and logistic.";
            if (l < L && act != layers[0].Activation.Name) return $"dendritic-error: every hidden layer needs the same rate function; layer 1 has '{layers[0].Activation.Name}', {name} '{act}'.";
        }
        return null;
    }

    /// <summary>Checks every option, naming the bad one.</summary>
    public void Validate()
    {
        static void Check(bool ok, string name, object value, string allowed)
        {
            if (!ok) throw new ArgumentOutOfRangeException(name, value, $"dendritic-error: {name} = {value} is not allowed; it must be {allowed}.");
        }
        Check(GLk > 0 && double.IsFinite(GLk), "g_lk", GLk, "> 0 (1/ms)");
        Check(GB > 0 && double.IsFinite(GB), "g_b", GB, "> 0 (1/ms)");
        Check(GA >= 0 && double.IsFinite(GA), "g_a", GA, "≥ 0 (1/ms)");
        Check(GD > 0 && double.IsFinite(GD), "g_d", GD, "> 0 (1/ms)");
        Check(GSom >= 0 && double.IsFinite(GSom), "g_som", GSom, "≥ 0 (1/ms)");
        Check(TauW >= 0 && double.IsFinite(TauW), "tau_w", TauW, "≥ 0 (ms)");
        Check(SampleDuration > 0 && double.IsFinite(SampleDuration), "sample_duration", SampleDuration, "> 0 (ms)");
        Check(Dt > 0 && Dt <= SampleDuration, "dt", Dt, "in (0, sample_duration] (ms)");
        Check(Noise >= 0 && double.IsFinite(Noise), "noise", Noise, "≥ 0 (mV/√ms)");
        Check(Tolerance > 0, "tolerance", Tolerance, "> 0 (mV)");
        Check(MaxSweeps >= 1, "max_sweeps", MaxSweeps, "≥ 1");
        if (Noise > 0 && Dynamics != MicrocircuitDynamics.Full) Check(false, "noise", Noise, "0 in steady-state dynamics (the fixed point has no noise; use \"dynamics\": \"full\")");
        if (OutputRate != OutputRate.Phi && Dynamics == MicrocircuitDynamics.Full) Check(false, "output_rate", "identity", "\"phi\" with \"dynamics\": \"full\" (the continuous-time circuit has one rate function; linear output cells are offered in \"dynamics\": \"steady-state\")");
    }

    private static double[] Rates(IReadOnlyList<double> values, int layers, string name)
    {
        var rates = new double[Math.Max(layers, 0) + 1];
        if (layers < 1) return rates;
        if (values.Count != 1 && values.Count != layers)
            throw new ArgumentException($"dendritic-error: {name} needs one learning rate or one per layer ({layers}), got {values.Count}.");
        for (int l = 1; l <= layers; l++)
        {
            double v = values.Count == 1 ? values[0] : values[l - 1];
            if (!(v >= 0) || !double.IsFinite(v)) throw new ArgumentOutOfRangeException(name, v, $"dendritic-error: {name} must hold non-negative learning rates (1/ms), got {v}.");
            rates[l] = v;
        }
        return rates;
    }

    private static double[] RandomMatrix(ulong seed, string purpose, int rows, int columns)
    {
        var stream = new RandomStream(seed, Component, purpose);
        var w = new double[rows * columns];
        double a = 1.0 / Math.Sqrt(columns);
        for (int i = 0; i < w.Length; i++) w[i] = a * (2 * stream.NextDouble() - 1);
        return w;
    }

    private static double[] Scaled(double[] values, double factor)
    {
        var copy = new double[values.Length];
        for (int i = 0; i < copy.Length; i++) copy[i] = values[i] * factor;
        return copy;
    }

    private void PrepareCircuit(ulong seed)
    {
        int L = _layers;
        string phi = _phi.Name == "logistic" ? "logistic" : "soft-relu";
        var parameters = new MicrocircuitParameters
        {
            layers = [.. _n], g_lk = GLk, g_B = GB, g_A = GA, g_D = GD, g_som = GSom, phi = phi, noise = Noise,
            sample_duration = SampleDuration,
        };
        var circuit = new CorticalMicrocircuit(Component, parameters, seed);
        for (int l = 1; l < L; l++)
        {
            // The circuit's own arrays become the rule's: one copy of every weight.
            _topDown[l].CopyTo(circuit.TopDown(l), 0);
            _interToApical[l].CopyTo(circuit.InterneuronToApical(l), 0);
            _pyrToInter[l].CopyTo(circuit.PyramidalToInterneuron(l), 0);
            _topDown[l] = circuit.TopDown(l);
            _interToApical[l] = circuit.InterneuronToApical(l);
            _pyrToInter[l] = circuit.PyramidalToInterneuron(l);
        }
        var rule = new DendriticErrorRule().Create(new DendriticErrorParameters
        {
            eta_PP = _etaForward[1..],
            eta_IP = L > 1 ? _etaIP[1..] : [0],
            eta_PI = L > 1 ? _etaPI[1..] : [0],
            eta_down = L > 1 ? _etaDown[1..] : [0],
            tau_w = TauW,
        });
        circuit.Attach(rule);
        circuit.Prepare(Dt, 0);
        _stepsPerSample = (int)Math.Round(SampleDuration / Dt);
        _spikes = new SpikeList(4);
        _before = new double[L + 1][];
        _before[0] = [];
        for (int l = 1; l <= L; l++) _before[l] = new double[_n[l] * _n[l - 1]];
        _circuit = circuit;
    }

    /// <summary>Ties the top-down weights (symmetric) and the lateral weights (analytic self-predicting state) to the current
    /// forward weights, and in the full dynamics copies the forward weights into the circuit.</summary>
    private void Synchronise(Network network, bool initial = false)
    {
        int L = _layers;
        for (int l = 1; l < L; l++)
        {
            var above = network.Layers[l];   // W_{l+1}, n_{l+1} × n_l
            if (TopDown == TopDownWeights.Symmetric)
            {
                double inv = 1.0 / _k[l + 1];
                int rows = _n[l], cols = _n[l + 1];
                for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) _topDown[l][i * cols + j] = above.Weights[j * rows + i] * inv;
            }
            if (SelfPredicting == LateralWeights.Analytic || (initial && SelfPredicting == LateralWeights.AnalyticThenLearned))
            {
                // W^PI = −W^PP_{l,l+1}; W^IP = (g_lk + g_D)/g_D · k_{l+1} W^PP_{l+1,l} = W_{l+1}/g_D·(g_lk + g_D) (SelfPredictingState).
                for (int i = 0; i < _topDown[l].Length; i++) _interToApical[l][i] = -_topDown[l][i];
                double f = 1.0 / _dendrite;
                for (int i = 0; i < _pyrToInter[l].Length; i++) _pyrToInter[l][i] = f * above.Weights[i];
            }
        }
        if (_circuit is { } c)
        {
            for (int l = 1; l <= L; l++)
            {
                double inv = 1.0 / _k[l];
                var w = network.Layers[l - 1].Weights;
                var f = c.Forward(l);
                for (int i = 0; i < w.Length; i++) f[i] = w[i] * inv;
            }
            c.Refresh();
        }
    }

    /// <inheritdoc/>
    public void SetTargets(ReadOnlySpan<double> targets, int batch)
    {
        if (_layers == 0) throw new InvalidOperationException("dendritic-error: call Prepare(network) first.");
        int k = _n[_layers];
        if (targets.Length < batch * k) throw new ArgumentException($"dendritic-error: {targets.Length} targets for {batch} rows of {k} output cells (the microcircuit has no auxiliary outputs).", nameof(targets));
        if (_targets.Length < batch * k) _targets = new double[batch * k];
        targets[..(batch * k)].CopyTo(_targets);
        _targetRows = batch;
    }

    /// <inheritdoc/>
    public void ComputeUpdates(Network network, NetworkTape tape, ParameterGradients gradients)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(gradients);
        if (_layers != network.Layers.Count) throw new InvalidOperationException($"dendritic-error was prepared for {_layers} layers but the network has {network.Layers.Count}; call Prepare(network) first.");
        int batch = tape.Batch;
        if (_targetRows != batch) throw new InvalidOperationException($"dendritic-error nudges the output towards the targets: SetTargets must be given the {batch} rows of this minibatch first (got {_targetRows}).");
        Synchronise(network);
        Ensure(batch);
        try
        {
            if (_circuit is null) SteadyStateUpdates(network, tape, gradients, batch);
            else FullDynamicsUpdates(network, tape, gradients, batch);
            LastFailure = null;
        }
        catch (Exception e) when (e is SimulationDivergedException or SteadyStateException)
        {
            // A runaway circuit (or a fixed point that is not reached) ends the run as diverged through the training loop's
            // own check: the updates become NaN, so the weights do ("first non-finite weights in layer …").
            LastFailure = e.Message;
            foreach (var g in gradients.Weights) Array.Fill(g, double.NaN);
        }
        _samples += batch;
        _targetRows = 0;
    }

    /// <inheritdoc/>
    public void Infer(Network network, NetworkTape tape)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(tape);
        int batch = tape.Batch, L = _layers;
        Synchronise(network);
        Ensure(batch);
        Solve(network, tape, batch, nudged: false);
        for (int l = 1; l <= L; l++)
        {
            int count = batch * _n[l];
            _u[l].AsSpan(0, count).CopyTo(tape.Z[l]);
            (l < L ? _r[l] : _u[l]).AsSpan(0, count).CopyTo(tape.H[l]);
        }
    }

    private void Ensure(int batch)
    {
        if (batch <= _capacity) return;
        int L = _layers;
        _u = new double[L + 1][];
        _r = new double[L + 1][];
        _basal = new double[L + 1][];
        _old = new double[L + 1][];
        _uI = new double[L][];
        _rI = new double[L][];
        _vD = new double[L][];
        _vA = new double[L][];
        _oldI = new double[L][];
        _u[0] = _basal[0] = _old[0] = [];
        _r[0] = new double[batch * _n[0]];
        int widest = 0;
        for (int l = 0; l <= L; l++) widest = Math.Max(widest, _n[l]);
        for (int l = 1; l <= L; l++)
        {
            _u[l] = new double[batch * _n[l]];
            _r[l] = new double[batch * _n[l]];
            _basal[l] = new double[batch * _n[l]];
            _old[l] = new double[batch * _n[l]];
        }
        _uI[0] = _rI[0] = _vD[0] = _vA[0] = _oldI[0] = [];
        for (int l = 1; l < L; l++)
        {
            _uI[l] = new double[batch * _n[l + 1]];
            _rI[l] = new double[batch * _n[l + 1]];
            _vD[l] = new double[batch * _n[l + 1]];
            _oldI[l] = new double[batch * _n[l + 1]];
            _vA[l] = new double[batch * _n[l]];
        }
        _error = new double[batch * widest];
        _scaled = new double[batch * widest];
        _scratch = new double[batch * widest];
        _capacity = batch;
    }

    /// <summary>
    /// The circuit's fixed point for the tape's batch (input rows tape.H[0], the first layer's basal drive tape.Z[1] = W_1 x
    /// from the forward pass), the output nudged towards the targets when <paramref name="nudged"/>. Sweeps: every layer's
    /// somata from the apical potentials of the sweep before, then the interneurons and the apical potentials, until no
    /// potential moves by more than <see cref="Tolerance"/>.
    /// </summary>
    private void Solve(Network network, NetworkTape tape, int batch, bool nudged)
    {
        int L = _layers;
        var product = network.Product;
        tape.H[0].AsSpan(0, batch * _n[0]).CopyTo(_r[0]);
        tape.Z[1].AsSpan(0, batch * _n[1]).CopyTo(_basal[1]);
        for (int l = 1; l < L; l++) _vA[l].AsSpan(0, batch * _n[l]).Clear();
        for (int sweep = 1; ; sweep++)
        {
            double moved = 0;
            for (int l = 1; l <= L; l++)
            {
                int count = batch * _n[l];
                if (l > 1) product.Multiply(false, true, batch, _n[l], _n[l - 1], 1.0, _r[l - 1], network.Layers[l - 1].Weights, 0.0, _basal[l]);
                Span<double> u = _u[l].AsSpan(0, count), old = _old[l].AsSpan(0, count);
                ReadOnlySpan<double> basal = _basal[l].AsSpan(0, count);
                u.CopyTo(old);
                if (l < L)
                {
                    ReadOnlySpan<double> vA = _vA[l].AsSpan(0, count);
                    for (int i = 0; i < count; i++) u[i] = basal[i] + _apical * vA[i];
                }
                else if (nudged)
                {
                    for (int i = 0; i < count; i++) u[i] = (1 - _nudge) * basal[i] + _nudge * _targets[i];
                }
                else basal.CopyTo(u);
                Rate(l).Forward(u, _r[l].AsSpan(0, count));
                if (sweep > 1) moved = Math.Max(moved, MaxDifference(u, old));
            }
            for (int l = 1; l < L; l++)
            {
                int up = batch * _n[l + 1];
                Span<double> uI = _uI[l].AsSpan(0, up), oldI = _oldI[l].AsSpan(0, up), vD = _vD[l].AsSpan(0, up);
                ReadOnlySpan<double> uAbove = _u[l + 1].AsSpan(0, up);
                uI.CopyTo(oldI);
                product.Multiply(false, true, batch, _n[l + 1], _n[l], _dendrite, _r[l], _pyrToInter[l], 0.0, _vD[l]);
                for (int i = 0; i < up; i++) uI[i] = (1 - _nudgeInter) * vD[i] + _nudgeInter * uAbove[i];
                Rate(l + 1).Forward(uI, _rI[l].AsSpan(0, up));   // an interneuron copies its partner in layer l + 1, rate function too
                product.Multiply(false, true, batch, _n[l], _n[l + 1], 1.0, _r[l + 1], _topDown[l], 0.0, _vA[l]);
                product.Multiply(false, true, batch, _n[l], _n[l + 1], 1.0, _rI[l], _interToApical[l], 1.0, _vA[l]);
                if (sweep > 1) moved = Math.Max(moved, MaxDifference(uI, oldI));
            }
            if (L == 1 || (sweep > 1 && moved <= Tolerance))
            {
                LastSweeps = sweep;
                break;
            }
            if (!double.IsFinite(moved) || sweep >= MaxSweeps)
            {
                throw new SteadyStateException($"dendritic-error: the steady state did not converge within {sweep} sweeps (potentials still moved by {moved:G3} mV > {Tolerance:G3}); " +
                    "the top-down or lateral weights feed back too strongly: lower g_a, the top-down weights (feedback) or the learning rates, or use \"dynamics\": \"full\".");
            }
        }
        double sum = 0;
        long cells = 0;
        for (int l = 1; l < L; l++)
        {
            foreach (double v in _vA[l].AsSpan(0, batch * _n[l])) sum += Math.Abs(v);
            cells += batch * _n[l];
        }
        MeanAbsoluteApical = cells == 0 ? 0 : sum / cells;
    }

    /// <summary>ρ_l, the rate function of layer l's pyramidal cells (and of the interneurons paired with them).</summary>
    private Activation Rate(int l) => l == _layers ? _outputRate : _phi;

    private static double MaxDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs(a[i] - b[i]);
            if (!(d <= m)) m = d;   // NaN propagates
        }
        return m;
    }

    private void SteadyStateUpdates(Network network, NetworkTape tape, ParameterGradients gradients, int batch)
    {
        int L = _layers;
        Solve(network, tape, batch, nudged: true);
        var product = network.Product;
        for (int l = 1; l <= L; l++)
        {
            // Basal error e = ρ_l(u_l) − ρ_l(k_l v_B,l) (ρ_l = φ, or the output rate at l = L), presynaptic r_{l−1}.
            int count = batch * _n[l];
            Span<double> e = _error.AsSpan(0, count), s = _scratch.AsSpan(0, count);
            Rate(l).Forward(_basal[l].AsSpan(0, count), s);
            Rate(l).Forward(_u[l].AsSpan(0, count), e);
            for (int i = 0; i < count; i++) e[i] -= s[i];
            if (l < L) for (int i = 0; i < count; i++) tape.Delta[l][i] = -e[i];
            var layer = network.Layers[l - 1];
            var g = gradients.Weights[l - 1];
            double eta = _etaForward[l];
            if (eta == 0) g.AsSpan().Clear();
            else
            {
                // ΔW_l handed to the optimiser: −k_l η ∫ filtered induction over the minibatch (network units).
                Integrate(product, batch, _n[l], _n[l - 1], e, _r[l - 1], _filterForward[l], -_k[l] * eta, g, overwrite: true);
            }
            if (layer.L2 != 0) for (int i = 0; i < g.Length; i++) g[i] += layer.L2 * layer.Weights[i];
            if (gradients.Bias[l - 1] is { } gb) gb.AsSpan().Clear();
        }
        for (int l = 1; l < L; l++)
        {
            int up = batch * _n[l + 1], count = batch * _n[l];
            if (_etaDown[l] > 0)
            {
                // Top-down: e = φ(u_l) − φ(W^PP_{l,l+1} r_{l+1}), presynaptic r_{l+1}.
                Span<double> e = _error.AsSpan(0, count), s = _scratch.AsSpan(0, count);
                product.Multiply(false, true, batch, _n[l], _n[l + 1], 1.0, _r[l + 1], _topDown[l], 0.0, _scratch);
                _phi.Forward(s, s);
                _phi.Forward(_u[l].AsSpan(0, count), e);
                for (int i = 0; i < count; i++) e[i] -= s[i];
                Integrate(product, batch, _n[l], _n[l + 1], e, _r[l + 1], _filterDown[l], _etaDown[l], _topDown[l], overwrite: false);
            }
            if (_etaIP[l] > 0)
            {
                // e = ρ_{l+1}(u^I_l) − ρ_{l+1}(g_D/(g_lk + g_D) v_D,l), presynaptic r_l.
                Span<double> e = _error.AsSpan(0, up), s = _scratch.AsSpan(0, up);
                Rate(l + 1).Forward(_vD[l].AsSpan(0, up), s);
                Rate(l + 1).Forward(_uI[l].AsSpan(0, up), e);
                for (int i = 0; i < up; i++) e[i] -= s[i];
                Integrate(product, batch, _n[l + 1], _n[l], e, _r[l], _filterIP[l], _etaIP[l], _pyrToInter[l], overwrite: false);
            }
            if (_etaPI[l] > 0)
            {
                // e = −v_A,l, presynaptic r^I_l.
                Span<double> e = _error.AsSpan(0, count);
                ReadOnlySpan<double> vA = _vA[l].AsSpan(0, count);
                for (int i = 0; i < count; i++) e[i] = -vA[i];
                Integrate(product, batch, _n[l], _n[l + 1], e, _rI[l], _filterPI[l], _etaPI[l], _interToApical[l], overwrite: false);
            }
        }
    }

    /// <summary>
    /// target ← (overwrite ? 0 : target) + f·∫ over the minibatch of the filtered induction e_i preᵀ (rows i in order), and the
    /// filter state advanced over the minibatch (see the class summary for the closed forms).
    /// </summary>
    private void Integrate(Engine.Numerics.IMatrixProduct product, int batch, int rows, int columns, ReadOnlySpan<double> errors,
        double[] pre, double[]? filter, double factor, double[] target, bool overwrite)
    {
        double T = SampleDuration, tau = TauW;
        double c = tau > 0 ? Math.Exp(-T / tau) : 0, a = tau * (1 - c);
        double cB = Math.Pow(c, batch);
        Span<double> scaled = _scaled.AsSpan(0, batch * rows);
        for (int i = 0; i < batch; i++)
        {
            double beta = T - a * Math.Pow(c, batch - 1 - i);
            for (int j = 0; j < rows; j++) scaled[i * rows + j] = beta * errors[i * rows + j];
        }
        if (filter is null)
        {
            product.Multiply(true, false, rows, columns, batch, factor, _scaled, pre, overwrite ? 0.0 : 1.0, target);
            return;
        }
        double alpha = tau * (1 - cB);
        if (overwrite)
        {
            filter.AsSpan().CopyTo(target);
            product.Multiply(true, false, rows, columns, batch, factor, _scaled, pre, factor * alpha, target);
        }
        else
        {
            double w = factor * alpha;
            for (int i = 0; i < target.Length; i++) target[i] += w * filter[i];
            product.Multiply(true, false, rows, columns, batch, factor, _scaled, pre, 1.0, target);
        }
        for (int i = 0; i < batch; i++)
        {
            double gamma = (1 - c) * Math.Pow(c, batch - 1 - i);
            for (int j = 0; j < rows; j++) scaled[i * rows + j] = gamma * errors[i * rows + j];
        }
        product.Multiply(true, false, rows, columns, batch, 1.0, _scaled, pre, cB, filter);
    }

    private void FullDynamicsUpdates(Network network, NetworkTape tape, ParameterGradients gradients, int batch)
    {
        var c = _circuit!;
        int L = _layers, n0 = _n[0], nL = _n[L];
        for (int l = 1; l <= L; l++) c.Forward(l).CopyTo(_before[l], 0);
        ReadOnlySpan<double> inputs = tape.H[0];
        double sum = 0;
        long cells = 0;
        for (int b = 0; b < batch; b++)
        {
            c.SetInput(inputs.Slice(b * n0, n0));
            c.SetTarget(_targets.AsSpan(b * nL, nL));
            long first = (_samples + b) * _stepsPerSample;
            for (int s = 0; s < _stepsPerSample; s++)
            {
                c.Advance((first + s) * Dt, Dt, 0, c.Size, _spikes!);
                c.EndStep();
            }
            for (int l = 1; l < L; l++)
            {
                // The hidden error at the sample's end, for the comparison's alignment angle.
                var u = c.Somatic(l);
                var vB = c.Basal(l);
                for (int i = 0; i < u.Length; i++)
                {
                    tape.Delta[l][b * _n[l] + i] = -(Phi(u[i]) - Phi(_k[l] * vB[i]));
                }
                foreach (double v in c.Apical(l)) sum += Math.Abs(v);
                cells += _n[l];
            }
        }
        MeanAbsoluteApical = cells == 0 ? 0 : sum / cells;
        c.ClearTarget();
        for (int l = 1; l <= L; l++)
        {
            var layer = network.Layers[l - 1];
            var g = gradients.Weights[l - 1];
            var after = c.Forward(l);
            double k = _k[l];
            for (int i = 0; i < g.Length; i++) g[i] = -k * (after[i] - _before[l][i]) + layer.L2 * layer.Weights[i];
            if (gradients.Bias[l - 1] is { } gb) gb.AsSpan().Clear();
        }
    }

    private double Phi(double u)
    {
        Span<double> x = [u];
        _phi.Forward(x, x);
        return x[0];
    }

    /// <inheritdoc/>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        snapshot.Put(prefix + "samples", [_samples]);
        _circuit?.SynchroniseWeights();   // (a copy: no bit of the run changes)
        for (int l = 1; l < _layers; l++)
        {
            snapshot.Put($"{prefix}W_PP_{l}_{l + 1}", _topDown[l]);
            snapshot.Put($"{prefix}W_PI_{l}", _interToApical[l]);
            snapshot.Put($"{prefix}W_IP_{l}", _pyrToInter[l]);
        }
        if (_circuit is { } c)
        {
            c.SaveState(snapshot, prefix + "circuit/");
            return;
        }
        for (int l = 1; l <= _layers; l++) if (_filterForward[l] is { } f) snapshot.Put($"{prefix}filtered/W_PP_{l}_{l - 1}", f);
        for (int l = 1; l < _layers; l++)
        {
            if (_filterIP[l] is { } ip) snapshot.Put($"{prefix}filtered/W_IP_{l}", ip);
            if (_filterPI[l] is { } pi) snapshot.Put($"{prefix}filtered/W_PI_{l}", pi);
            if (_filterDown[l] is { } down) snapshot.Put($"{prefix}filtered/W_PP_{l}_{l + 1}", down);
        }
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Span<long> samples = stackalloc long[1];
        snapshot.Get(prefix + "samples", samples);
        _samples = samples[0];
        for (int l = 1; l < _layers; l++)
        {
            snapshot.Get($"{prefix}W_PP_{l}_{l + 1}", _topDown[l]);
            snapshot.Get($"{prefix}W_PI_{l}", _interToApical[l]);
            snapshot.Get($"{prefix}W_IP_{l}", _pyrToInter[l]);
        }
        if (_circuit is { } c)
        {
            c.LoadState(snapshot, prefix + "circuit/");
            return;
        }
        for (int l = 1; l <= _layers; l++) if (_filterForward[l] is { } f) snapshot.Get($"{prefix}filtered/W_PP_{l}_{l - 1}", f);
        for (int l = 1; l < _layers; l++)
        {
            if (_filterIP[l] is { } ip) snapshot.Get($"{prefix}filtered/W_IP_{l}", ip);
            if (_filterPI[l] is { } pi) snapshot.Get($"{prefix}filtered/W_PI_{l}", pi);
            if (_filterDown[l] is { } down) snapshot.Get($"{prefix}filtered/W_PP_{l}_{l + 1}", down);
        }
    }
}

/// <summary>The microcircuit's fixed point was not reached within the allowed sweeps.</summary>
public sealed class SteadyStateException(string message) : InvalidOperationException(message);
