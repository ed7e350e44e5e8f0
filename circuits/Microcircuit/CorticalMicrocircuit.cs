using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using BioSim.Circuits.Populations;
using BioSim.Circuits.Synapses;
using BioSim.Engine.Events;
using BioSim.Engine.Random;
using BioSim.Engine.Simulation;

namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The dendritic cortical microcircuit of Sacramento, Costa, Bengio &amp; Senn (NeurIPS 2018) as one component of the
/// simulation: layers l = 0 … L of rate neurons in continuous time. Layer 0 is the input (rates r₀ clamped to the sample);
/// hidden layers 1 … L−1 hold pyramidal cells (soma u, basal v_B, apical v_A) and one interneuron per pyramidal cell of the
/// layer above (soma u^I, dendrite v_D); the output layer L holds pyramidal cells without apical compartment:
/// <code>
///   v_B,l = W^PP_{l,l−1} r_{l−1}          v_A,l = W^PP_{l,l+1} r_{l+1} + W^PI_l r^I_l          v_D,l = W^IP_l r_l
///   du_l/dt   = −g_lk u_l + g_B (v_B,l − u_l) + g_A (v_A,l − u_l) + σ ξ                  (hidden)
///   du_L/dt   = −g_lk u_L + g_B (v_B,L − u_L) + g_som (u^trgt − u_L) + σ ξ               (output; g_som only with a target)
///   du^I_l/dt = −g_lk u^I_l + g_D (v_D,l − u^I_l) + g_som (u_{l+1} − u^I_l) + σ ξ        (interneurons)
///   r = φ(u)
/// </code>
/// with C = 1, potentials in mV and conductances in 1/ms. W^PP_{l,l+1} (<see cref="TopDown"/>) is the top-down matrix.
/// <b>Integration</b>: the dendrites follow their input instantly (they are weighted sums of rates); over a step the
/// dendritic potentials and the interneurons' teacher u_{l+1} are held at their values at the step's start, so each soma
/// relaxes exactly, u(t + dt) = u∞ + (u(t) − u∞) e^{−G dt} with G its total conductance and u∞ the conductance-weighted
/// mean, and the noise is added with the exact Ornstein-Uhlenbeck variance σ²(1 − e^{−2G dt})/(2G) (one Gaussian per cell
/// and step from a counter-based stream keyed by (seed, circuit name, "noise/…"), cell and step, so no random state is
/// saved). The fixed points are the ODE's. After the somata, the rates and then every dendritic potential are recomputed,
/// so at the end of every step v = W r holds with the step's final rates; a plasticity rule (<see cref="Attach"/>) then
/// changes the weights and the dendrites are recomputed again (by the rule itself when it is an
/// <see cref="IMicrocircuitDendriticPlasticity"/>, in the pass that changes the weights).
/// <b>Speed</b>: the input rates are constant over a sample, so v_B,1 = W^PP_{1,0} r₀ (n₁ n₀ synapses, the bulk of a
/// 784-500-10 circuit) is computed only when the input or those weights change; the dendritic error rule keeps the
/// changes of W^PP_{1,0} in a factored form over the sample (<see cref="IMicrocircuitDendriticPlasticity"/>), so a
/// step costs O(n₁) there instead of O(n₁ n₀). The weight array of W^PP_{1,0} is then brought up to date when it is
/// asked for (<see cref="Forward"/>), when the input changes, and before a feedforward pass.
/// <b>State</b>: one flat array per variable per layer (probe names <c>u_l</c>, <c>r_l</c>, <c>v_B_l</c>, <c>v_A_l</c>,
/// <c>u_I_l</c>, <c>r_I_l</c>, <c>v_D_l</c>, <c>r_0</c>), row-major dense weight matrices (rows = receiving cells), the target
/// and whether it is on; all of it is saved in checkpoints. No allocation per step.
/// </summary>
public sealed class CorticalMicrocircuit : IPopulation, IPopulationFactory<MicrocircuitParameters, CorticalMicrocircuit>
{
    private readonly int[] _n;
    private readonly int _top;
    private readonly RateTransfer _phi;
    private readonly double[][] _u, _r, _vB, _vA, _uI, _rI, _vD, _apicalTop;
    private readonly double[][] _forward, _topDown, _interToApical, _pyrToInter;
    private readonly double[] _target;
    private readonly RandomStream[][] _noisePyr, _noiseInter;
    private readonly Dictionary<string, (double[] Values, string Unit)> _variables = new(StringComparer.Ordinal);
    private readonly List<string> _variableNames = [];
    private readonly (string Pyramidal, string Interneuron)[] _names;
    private readonly double _gHidden, _gOut, _gOutNudged, _gInter;
    private double _dt = double.NaN;
    private double _decayHidden, _decayOut, _decayOutNudged, _decayInter;
    private double _noiseHidden, _noiseOut, _noiseOutNudged, _noiseInterneuron;
    private long _stepsPerSample;
    private double _time;
    private IMicrocircuitSamples? _samples;
    private IMicrocircuitPlasticity? _plasticity;
    private IMicrocircuitDendriticPlasticity? _dendriticRule;
    private bool _inputBasalCurrent;
    private bool[] _ruleBasal = [], _ruleApical = [], _ruleDendrite = [];   // dendrites the attached rule computes at the step's end

    /// <summary>A circuit at rest (every potential 0, input rates 0, no target) with random weights: every matrix entry
    /// uniform in [−s, s]/√(fan-in) with s = initial_scale, drawn from streams keyed by (<paramref name="seed"/>,
    /// <paramref name="name"/>, the matrix's name). <c>self_predicting</c> is applied by <see cref="Create"/> (the
    /// experiment-file path), not here; samples come from <see cref="UseSamples"/> (an experiment file's task: <see cref="MicrocircuitTask"/>).</summary>
    /// <param name="name">The component's name, as reports use it; it keys the random streams.</param>
    /// <param name="parameters">The parameters, checked here (a problem throws an <see cref="ArgumentException"/> naming the field).</param>
    /// <param name="seed">The experiment's seed.</param>
    public CorticalMicrocircuit(string name, MicrocircuitParameters parameters, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A microcircuit needs a non-empty name.", nameof(name));
        string? problem = parameters.Validate();
        if (problem is not null) throw new ArgumentException($"Microcircuit '{name}': {problem}.", nameof(parameters));
        double initialScale = parameters.initial_scale;
        Name = name;
        Parameters = parameters;
        _n = [.. parameters.layers];
        _top = _n.Length - 1;
        _phi = RateTransfer.Find(parameters.phi)!;
        var p = parameters;
        _gHidden = p.g_lk + p.g_B + p.g_A;
        _gOut = p.g_lk + p.g_B;
        _gOutNudged = p.g_lk + p.g_B + p.g_som;
        _gInter = p.g_lk + p.g_D + p.g_som;

        int layers = _n.Length;
        _u = new double[layers][];
        _r = new double[layers][];
        _vB = new double[layers][];
        _vA = new double[layers][];
        _uI = new double[layers][];
        _rI = new double[layers][];
        _vD = new double[layers][];
        _apicalTop = new double[layers][];
        _forward = new double[layers][];
        _topDown = new double[layers][];
        _interToApical = new double[layers][];
        _pyrToInter = new double[layers][];
        _noisePyr = new RandomStream[layers][];
        _noiseInter = new RandomStream[layers][];
        _names = [.. Enumerable.Range(0, layers).Select(l => ($"u_{l}", $"u_I_{l}"))];
        _r[0] = Register("r_0", "1", _n[0]);
        _u[0] = _vB[0] = _vA[0] = _apicalTop[0] = _uI[0] = _rI[0] = _vD[0] = _forward[0] = _topDown[0] = _interToApical[0] = _pyrToInter[0] = [];
        _noisePyr[0] = _noiseInter[0] = [];
        for (int l = 1; l <= _top; l++)
        {
            _u[l] = Register($"u_{l}", "mV", _n[l]);
            _r[l] = Register($"r_{l}", "1", _n[l]);
            _vB[l] = Register($"v_B_{l}", "mV", _n[l]);
            _forward[l] = RandomMatrix(seed, $"W_PP_{l}_{l - 1}", _n[l], _n[l - 1], initialScale);
            _noisePyr[l] = Streams(seed, $"noise/pyramidal/{l}", _n[l]);
            if (l < _top)
            {
                _vA[l] = Register($"v_A_{l}", "mV", _n[l]);
                _apicalTop[l] = new double[_n[l]];
                _uI[l] = Register($"u_I_{l}", "mV", _n[l + 1]);
                _rI[l] = Register($"r_I_{l}", "1", _n[l + 1]);
                _vD[l] = Register($"v_D_{l}", "mV", _n[l + 1]);
                _topDown[l] = RandomMatrix(seed, $"W_PP_{l}_{l + 1}", _n[l], _n[l + 1], initialScale);
                _interToApical[l] = RandomMatrix(seed, $"W_PI_{l}", _n[l], _n[l + 1], initialScale);
                _pyrToInter[l] = RandomMatrix(seed, $"W_IP_{l}", _n[l + 1], _n[l], initialScale);
                _noiseInter[l] = Streams(seed, $"noise/interneuron/{l}", _n[l + 1]);
            }
            else
            {
                _vA[l] = _apicalTop[l] = _uI[l] = _rI[l] = _vD[l] = _topDown[l] = _interToApical[l] = _pyrToInter[l] = [];
                _noiseInter[l] = [];
            }
        }
        _target = new double[_n[_top]];
        for (int l = 1; l <= _top; l++) Size += _n[l] + (l < _top ? _n[l + 1] : 0);
        Refresh();
    }

    /// <summary>None: nothing projects into a microcircuit (its input is its samples).</summary>
    public static IReadOnlyList<string> ReceptorModels => [];

    /// <summary>The circuit an experiment file describes (model "microcircuit"): <paramref name="size"/> must be the
    /// number of cells (<see cref="Size"/>); with <c>self_predicting</c> the lateral weights start in the self-predicting
    /// state. The population's task (<see cref="MicrocircuitTask"/>) is given to it by the model builder.</summary>
    /// <param name="name">The component's name.</param>
    /// <param name="size">The number of cells the experiment file states.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="receptors">Must be empty.</param>
    /// <param name="seed">The experiment's seed.</param>
    public static CorticalMicrocircuit Create(string name, int size, MicrocircuitParameters parameters, IReadOnlyList<ReceptorSpec> receptors, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(receptors);
        var circuit = new CorticalMicrocircuit(name, parameters, seed);
        if (size != circuit.Size)
        {
            throw new ArgumentException($"Microcircuit '{name}': size must be {circuit.Size}, the pyramidal cells of layers 1 … {circuit.OutputLayer} and the interneurons of the hidden layers for layers [{string.Join(", ", parameters.layers)}]; got {size}.", nameof(size));
        }
        if (receptors.Count > 0) throw new ArgumentException($"Microcircuit '{name}' takes no receptors (its input is its samples).", nameof(receptors));
        if (parameters.self_predicting) SelfPredictingState.Apply(circuit);
        return circuit;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The parameters the circuit was built with.</summary>
    public MicrocircuitParameters Parameters { get; }

    /// <summary>The rate function φ.</summary>
    public RateTransfer Transfer => _phi;

    /// <summary>Number of cells: the pyramidal cells of layers 1 … L and the interneurons (the input layer is not counted).</summary>
    public int Size { get; }

    /// <summary>One work item for the whole circuit: the layers depend on each other within a step.</summary>
    public int ParallelChunk => int.MaxValue;

    /// <summary>A rate model: no spikes.</summary>
    public bool EmitsSpikes => false;

    /// <summary>L, the index of the output layer (layers are 0 … L).</summary>
    public int OutputLayer => _top;

    /// <summary>Cells per layer, input first.</summary>
    public IReadOnlyList<int> LayerSizes => _n;

    /// <summary>Whether the output is nudged towards <see cref="Target"/> (set by <see cref="SetTarget"/>).</summary>
    public bool Nudged { get; private set; }

    /// <summary>u^trgt, the output's target potentials (mV); in force while <see cref="Nudged"/>.</summary>
    public ReadOnlySpan<double> Target => _target;

    /// <summary>The attached plasticity rule, or null.</summary>
    public IMicrocircuitPlasticity? Plasticity => _plasticity;

    /// <summary>u_l, somatic potentials of the pyramidal cells of layer <paramref name="layer"/> ≥ 1 (mV, live).</summary>
    public double[] Somatic(int layer) => Layer(_u, layer, 1, _top, "somatic potentials");

    /// <summary>r_l = φ(u_l), rates of layer <paramref name="layer"/> (live); layer 0 is the clamped input.</summary>
    public double[] Rates(int layer) => Layer(_r, layer, 0, _top, "rates");

    /// <summary>v_B,l, basal potentials of layer <paramref name="layer"/> ≥ 1 (mV, live).</summary>
    public double[] Basal(int layer) => Layer(_vB, layer, 1, _top, "basal potentials");

    /// <summary>v_A,l, apical potentials of hidden layer <paramref name="layer"/> (mV, live).</summary>
    public double[] Apical(int layer) => Layer(_vA, layer, 1, _top - 1, "apical potentials");

    /// <summary>u^I_l, somatic potentials of the interneurons of hidden layer <paramref name="layer"/> (mV, live), one per pyramidal cell of layer l + 1.</summary>
    public double[] InterneuronSomatic(int layer) => Layer(_uI, layer, 1, _top - 1, "interneuron potentials");

    /// <summary>r^I_l, rates of the interneurons of hidden layer <paramref name="layer"/> (live).</summary>
    public double[] InterneuronRates(int layer) => Layer(_rI, layer, 1, _top - 1, "interneuron rates");

    /// <summary>v_D,l, dendritic potentials of the interneurons of hidden layer <paramref name="layer"/> (mV, live).</summary>
    public double[] InterneuronDendritic(int layer) => Layer(_vD, layer, 1, _top - 1, "interneuron dendrites");

    /// <summary>W^PP_{l,l−1}, bottom-up weights onto the basal dendrites of layer <paramref name="layer"/> ≥ 1, row-major n_l × n_{l−1} (live).
    /// For layer 1 the deferred changes of a running rule are folded in first (<see cref="IMicrocircuitDendriticPlasticity"/>),
    /// and v_B,1 is recomputed from the array at the next step, so changes made by hand take effect; in the middle of a
    /// sample the folding changes later values by round-off (checkpoints do not fold).</summary>
    public double[] Forward(int layer)
    {
        var w = Layer(_forward, layer, 1, _top, "forward weights");
        _dendriticRule?.Materialise();
        if (layer == 1) _inputBasalCurrent = false;
        return w;
    }

    /// <summary>W^PP_{l,l+1} r_{l+1}, the top-down part of the apical potential v_A,l of hidden layer <paramref name="layer"/>
    /// (mV, live; the rest is W^PI_l r^I_l), as of the last dendrite update: the dendritic error rule predicts the
    /// somatic rate from it when it learns the top-down weights.</summary>
    public double[] ApicalTopDown(int layer) => Layer(_apicalTop, layer, 1, _top - 1, "apical potentials");

    /// <summary>W^PP_{l,l+1}, top-down weights onto the apical dendrites of hidden layer <paramref name="layer"/>, row-major n_l × n_{l+1} (live;
    /// a running dendritic error rule's pending changes are folded in first, as for <see cref="Forward"/>).</summary>
    public double[] TopDown(int layer) => Current(Layer(_topDown, layer, 1, _top - 1, "top-down weights"));

    /// <summary>W^PI_l, interneuron-to-apical weights of hidden layer <paramref name="layer"/>, row-major n_l × n_{l+1} (live, current as <see cref="TopDown"/>).</summary>
    public double[] InterneuronToApical(int layer) => Current(Layer(_interToApical, layer, 1, _top - 1, "interneuron-to-apical weights"));

    /// <summary>W^IP_l, pyramidal-to-interneuron weights of hidden layer <paramref name="layer"/>, row-major n_{l+1} × n_l (live, current as <see cref="TopDown"/>).</summary>
    public double[] PyramidalToInterneuron(int layer) => Current(Layer(_pyrToInter, layer, 1, _top - 1, "pyramidal-to-interneuron weights"));

    /// <summary>Brings the weight arrays handed out earlier up to date with the weights an attached rule keeps in a layout of
    /// its own (<see cref="IMicrocircuitDendriticPlasticity.Synchronise"/>): a copy, nothing folded, so the run's bits do not
    /// change. For readers that keep a live array and read it repeatedly (the recorder); the accessors above fold as well.</summary>
    public void SynchroniseWeights() => _dendriticRule?.Synchronise();

    private double[] Current(double[] weights)
    {
        _dendriticRule?.Materialise();
        return weights;
    }

    /// <summary>
    /// The output potentials of the feedforward pass the circuit computes when its apical potentials are zero (the
    /// self-predicting fixed point without a target): û_l = k_l W^PP_{l,l−1} φ(û_{l−1}), φ(û_0) = the input rates, with
    /// k_l = g_B/(g_lk + g_B + g_A) in hidden layers and g_B/(g_lk + g_B) at the output. For predictions (test error) and
    /// teachers; allocates its scratch, so it is not for the hot loop.
    /// </summary>
    public void FeedforwardPass(ReadOnlySpan<double> input, Span<double> output)
    {
        if (input.Length != _n[0]) throw new ArgumentException($"Microcircuit '{Name}': the input layer has {_n[0]} cells, got {input.Length} rates.", nameof(input));
        if (output.Length != _n[_top]) throw new ArgumentException($"Microcircuit '{Name}': the output layer has {_n[_top]} cells, got room for {output.Length}.", nameof(output));
        var p = Parameters;
        double[] r = input.ToArray();
        _dendriticRule?.Materialise();
        for (int l = 1; l <= _top; l++)
        {
            var u = new double[_n[l]];
            MatVec(_forward[l], r, u);
            double k = l == _top ? p.g_B / _gOut : p.g_B / _gHidden;
            for (int i = 0; i < u.Length; i++) u[i] *= k;
            if (l == _top)
            {
                u.CopyTo(output);
                break;
            }
            r = new double[_n[l]];
            _phi.Apply(u, r);
        }
    }

    /// <summary>Clamps the input rates r₀ to <paramref name="rates"/> and recomputes the first layer's basal potentials
    /// (the way to change the input: after writing <see cref="Rates"/>(0) by hand, call <see cref="Refresh"/>).</summary>
    public void SetInput(ReadOnlySpan<double> rates)
    {
        if (rates.Length != _n[0]) throw new ArgumentException($"Microcircuit '{Name}': the input layer has {_n[0]} cells, got {rates.Length} rates.", nameof(rates));
        rates.CopyTo(_r[0]);
        InputBasal();
    }

    /// <summary>Nudges the output towards the potentials <paramref name="potentials"/> (mV) with g_som.</summary>
    public void SetTarget(ReadOnlySpan<double> potentials)
    {
        if (potentials.Length != _n[_top]) throw new ArgumentException($"Microcircuit '{Name}': the output layer has {_n[_top]} cells, got {potentials.Length} targets.", nameof(potentials));
        potentials.CopyTo(_target);
        Nudged = true;
    }

    /// <summary>Removes the target: the output follows its basal input alone.</summary>
    public void ClearTarget() => Nudged = false;

    /// <summary>Presents <paramref name="samples"/> one after another, each for <see cref="MicrocircuitParameters.sample_duration"/>
    /// ms, from the step whose index is a multiple of the steps per sample (null: the caller sets input and target).</summary>
    public void UseSamples(IMicrocircuitSamples? samples)
    {
        if (samples is not null && samples.Count < 1) throw new ArgumentException($"Microcircuit '{Name}': the sample source is empty.", nameof(samples));
        _samples = samples;
    }

    /// <summary>Attaches the plasticity rule that runs after every step (null detaches).</summary>
    public void Attach(IMicrocircuitPlasticity? plasticity)
    {
        _dendriticRule?.Materialise();
        _dendriticRule = null;
        _inputBasalCurrent = false;
        _plasticity = plasticity;
        plasticity?.Bind(this);
        _dendriticRule = plasticity as IMicrocircuitDendriticPlasticity;
        int layers = _n.Length;
        _ruleBasal = new bool[layers];
        _ruleApical = new bool[layers];
        _ruleDendrite = new bool[layers];
        if (_dendriticRule is not { } rule) return;
        for (int l = 1; l <= _top; l++)
        {
            _ruleBasal[l] = l > 1 && rule.TakesDendrite($"v_B_{l}");
            if (l == _top) continue;
            _ruleApical[l] = rule.TakesDendrite($"v_A_{l}");
            _ruleDendrite[l] = rule.TakesDendrite($"v_D_{l}");
        }
    }

    /// <summary>Recomputes every rate from its somatic potential and every dendritic potential from the rates and weights:
    /// call it after changing weights or potentials by hand.</summary>
    public void Refresh()
    {
        _dendriticRule?.Materialise();
        _inputBasalCurrent = false;
        for (int l = 1; l <= _top; l++)
        {
            _phi.Apply(_u[l], _r[l]);
            if (l < _top) _phi.Apply(_uI[l], _rI[l]);
        }
        ComputeDendrites(all: true);
    }

    /// <summary>The sample presented during the step starting at step index <paramref name="step"/> (with a sample source).</summary>
    public int SampleAt(long step) => _samples is null || _stepsPerSample == 0 ? -1 : (int)(step / _stepsPerSample % _samples.Count);

    /// <inheritdoc/>
    public IReadOnlyList<string> VariableNames => _variableNames;

    /// <inheritdoc/>
    public string UnitOf(string variable) => Lookup(variable).Unit;

    /// <inheritdoc/>
    public double[] Variable(string name) => Lookup(name).Values;

    /// <summary>None: the circuit's inputs are its samples.</summary>
    public IReadOnlyList<string> InputNames => [];

    /// <summary>Throws: projections do not deliver into a microcircuit.</summary>
    public DelayRing Input(string name) => throw new KeyNotFoundException($"Microcircuit '{Name}' takes no projections (its input is its samples); it has no input '{name}'.");

    /// <inheritdoc/>
    public ProbeLayout Probe(string variable, IReadOnlyList<int>? elements, IReadOnlyList<string>? sections)
    {
        var values = Lookup(variable).Values;
        int[] chosen = elements is null ? [.. Enumerable.Range(0, values.Length)] : [.. elements];
        foreach (int e in chosen)
        {
            if (e < 0 || e >= values.Length) throw new ArgumentException($"Microcircuit '{Name}', variable '{variable}': element {e} is outside 0 … {values.Length - 1}.", nameof(elements));
        }
        return ProbeLayout.PerElement(variable, UnitOf(variable), values, chosen);
    }

    /// <summary>The exact relaxation factors and noise amplitudes for step <paramref name="dt"/>, and the steps per sample;
    /// rates and dendrites are recomputed (<see cref="Refresh"/>), so potentials set before (an experiment's "initial") take effect.</summary>
    public void Prepare(double dt, int maxDelaySteps)
    {
        _dt = dt;
        Refresh();
        (_decayHidden, _noiseHidden) = Propagator(_gHidden, dt);
        (_decayOut, _noiseOut) = Propagator(_gOut, dt);
        (_decayOutNudged, _noiseOutNudged) = Propagator(_gOutNudged, dt);
        (_decayInter, _noiseInterneuron) = Propagator(_gInter, dt);
        double steps = Parameters.sample_duration / dt;
        _stepsPerSample = Math.Max(1, (long)Math.Round(steps));
        if (Math.Abs(steps - _stepsPerSample) > 1e-9 * steps)
        {
            throw new ArgumentException($"Microcircuit '{Name}': sample_duration {Parameters.sample_duration} ms is not a whole number of steps of {dt} ms.", nameof(dt));
        }
    }

    private (double Decay, double Noise) Propagator(double g, double dt)
    {
        double decay = Math.Exp(-g * dt);
        double sigma = Parameters.noise;
        double amplitude = sigma == 0 ? 0 : sigma * Math.Sqrt(g > 0 ? -double.ExpM1(-2 * g * dt) / (2 * g) : dt);
        return (decay, amplitude);
    }

    /// <summary>Advances every cell of the circuit by one step (the range must be the whole circuit: see <see cref="ParallelChunk"/>).</summary>
    public void Advance(double t, double dt, int start, int end, SpikeList spikes)
    {
        if (dt != _dt) throw new InvalidOperationException($"Microcircuit '{Name}' was prepared for dt = {_dt} ms, not {dt} ms.");
        if (start != 0 || end != Size) throw new InvalidOperationException($"Microcircuit '{Name}' advances as one piece, got cells [{start}, {end}) of {Size}.");
        long step = (long)Math.Round(t / dt);
        if (_samples is not null && step % _stepsPerSample == 0) LoadSample((int)(step / _stepsPerSample % _samples.Count));
        var p = Parameters;
        ulong position = (ulong)step * 2;   // one Gaussian = two 64-bit draws
        // Interneurons first: they are nudged by the pyramidal cells above as they were at the step's start.
        for (int l = 1; l < _top; l++)
        {
            Relax(_uI[l], _vD[l], p.g_D, _u[l + 1], p.g_som, _gInter, _decayInter, _noiseInterneuron, _noiseInter[l], position);
            Check(_uI[l], _names[l].Interneuron, t + dt);
        }
        for (int l = 1; l < _top; l++)
        {
            Relax(_u[l], _vB[l], p.g_B, _vA[l], p.g_A, _gHidden, _decayHidden, _noiseHidden, _noisePyr[l], position);
            Check(_u[l], _names[l].Pyramidal, t + dt);
        }
        if (Nudged) Relax(_u[_top], _vB[_top], p.g_B, _target, p.g_som, _gOutNudged, _decayOutNudged, _noiseOutNudged, _noisePyr[_top], position);
        else Relax(_u[_top], _vB[_top], p.g_B, _target, 0, _gOut, _decayOut, _noiseOut, _noisePyr[_top], position);
        Check(_u[_top], _names[_top].Pyramidal, t + dt);
        for (int l = 1; l <= _top; l++)
        {
            _phi.Apply(_u[l], _r[l]);
            if (l < _top) _phi.Apply(_uI[l], _rI[l]);
        }
        ComputeDendrites(all: false);
        _time = t + dt;
    }

    /// <summary>Runs the plasticity rule on the step that just ended and recomputes the dendrites from the changed weights
    /// (an <see cref="IMicrocircuitDendriticPlasticity"/> has done that itself).</summary>
    public void EndStep()
    {
        if (_plasticity is null) return;
        _plasticity.AfterStep(_time, _dt);
        if (_dendriticRule is not null) return;
        _inputBasalCurrent = false;   // any rule may have changed W^PP_{1,0}
        ComputeDendrites(all: true);
    }

    /// <summary>Saves state, weights, target, clock and the rule's state. With a rule that defers the changes of W^PP_{1,0}
    /// (<see cref="IMicrocircuitDendriticPlasticity"/>) the saved W^PP_{1,0} is the sample's starting value and the rule's
    /// state holds the factors: saving does not fold them in, so a run that saves continues with the same bits as one
    /// that does not.</summary>
    public void SaveState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _dendriticRule?.Synchronise();   // weights the rule keeps in its own layout, copied (not folded) into the arrays saved below
        if (!_inputBasalCurrent)
        {
            // What the next step would compute first (the weights were asked for or the rule changed): the saved v_B,1 is current.
            MatVec(_forward[1], _r[0], _vB[1]);
            _inputBasalCurrent = true;
        }
        foreach (string name in _variableNames) snapshot.Put(prefix + name, _variables[name].Values);
        for (int l = 1; l <= _top; l++)
        {
            snapshot.Put($"{prefix}weights/W_PP_{l}_{l - 1}", _forward[l]);
            if (l < _top)
            {
                snapshot.Put($"{prefix}weights/W_PP_{l}_{l + 1}", _topDown[l]);
                snapshot.Put($"{prefix}weights/W_PI_{l}", _interToApical[l]);
                snapshot.Put($"{prefix}weights/W_IP_{l}", _pyrToInter[l]);
            }
        }
        snapshot.Put(prefix + "target", _target);
        snapshot.Put(prefix + "nudged", [Nudged ? 1.0 : 0.0]);
        snapshot.Put(prefix + "time", [_time]);
        _plasticity?.SaveState(snapshot, prefix + "plasticity/");
    }

    /// <inheritdoc/>
    public void LoadState(StateSnapshot snapshot, string prefix)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (string name in _variableNames) snapshot.Get(prefix + name, _variables[name].Values);
        for (int l = 1; l <= _top; l++)
        {
            snapshot.Get($"{prefix}weights/W_PP_{l}_{l - 1}", _forward[l]);
            if (l < _top)
            {
                snapshot.Get($"{prefix}weights/W_PP_{l}_{l + 1}", _topDown[l]);
                snapshot.Get($"{prefix}weights/W_PI_{l}", _interToApical[l]);
                snapshot.Get($"{prefix}weights/W_IP_{l}", _pyrToInter[l]);
            }
        }
        snapshot.Get(prefix + "target", _target);
        Span<double> scalar = stackalloc double[1];
        snapshot.Get(prefix + "nudged", scalar);
        Nudged = scalar[0] != 0;
        snapshot.Get(prefix + "time", scalar);
        _time = scalar[0];
        _plasticity?.LoadState(snapshot, prefix + "plasticity/");
        _inputBasalCurrent = true;   // v_B,1 was saved current (see SaveState)
    }

    private void LoadSample(int index)
    {
        _samples!.Input(index, _r[0]);
        Nudged = _samples.Target(index, _target);
        InputBasal();
    }

    /// <summary>v_B,1 after the input changed: from the rule when it defers the input weights' changes (it folds them in
    /// with the old rates and takes the product with the new ones in one pass), from the weight array otherwise.</summary>
    private void InputBasal()
    {
        if (_dendriticRule is { DefersInputWeights: true } rule) rule.InputChanged();
        else MatVec(_forward[1], _r[0], _vB[1]);
        _inputBasalCurrent = true;
    }

    /// <summary>u ← u∞ + (u − u∞)·decay + amplitude·ξ with u∞ = (g₁ a + g₂ b)/G, cell by cell.</summary>
    private static void Relax(double[] u, double[] a, double g1, double[] b, double g2, double g, double decay, double amplitude,
        RandomStream[] streams, ulong position)
    {
        double c1 = g1 / g, c2 = g2 / g;
        int k = 0;
        if (Vector256.IsHardwareAccelerated && b.Length >= u.Length)
        {
            // The scalar loop's operations lane by lane (no fused multiply-add), so the bits do not depend on the width.
            var v1 = Vector256.Create(c1);
            var v2 = Vector256.Create(c2);
            var vd = Vector256.Create(decay);
            for (; k + Vector256<double>.Count <= u.Length; k += Vector256<double>.Count)
            {
                var inf = v1 * Vector256.Create<double>(a.AsSpan(k)) + v2 * Vector256.Create<double>(b.AsSpan(k));
                (inf + (Vector256.Create<double>(u.AsSpan(k)) - inf) * vd).CopyTo(u.AsSpan(k));
            }
        }
        for (; k < u.Length; k++)
        {
            double inf = c1 * a[k] + c2 * b[k];
            u[k] = inf + (u[k] - inf) * decay;
        }
        if (amplitude == 0) return;
        for (int i = 0; i < u.Length; i++)
        {
            var stream = streams[i];
            stream.Position = position;
            u[i] += amplitude * stream.NextGaussian();
        }
    }

    private void Check(double[] u, string variable, double time)
    {
        // One vectorised pass in the common case (MaxMagnitude propagates NaN); the cell is looked for only on failure.
        if (TensorPrimitives.MaxMagnitude<double>(u) is var largest && Math.Abs(largest) <= PlausiblePotential) return;
        for (int i = 0; i < u.Length; i++)
        {
            SimulationDivergedException.ThrowIfImplausible(Name, variable, i, time, u[i], -PlausiblePotential, PlausiblePotential, "mV",
                "the weights or the learning rates drive the potentials far beyond any sensible range: lower η or the initial weights");
        }
    }

    /// <summary>|u| beyond this (mV) is a runaway (weights or learning rates out of range), stopped as a divergence.</summary>
    public const double PlausiblePotential = 1000;

    /// <summary>Every dendritic potential from the current rates and weights; v_B,1 only when it is not current (the input
    /// rates r₀ are constant over a sample, so it changes only with them or with W^PP_{1,0}). Unless <paramref name="all"/>,
    /// the dendrites an attached <see cref="IMicrocircuitDendriticPlasticity"/> takes (<see cref="IMicrocircuitDendriticPlasticity.TakesDendrite"/>)
    /// are left to it: it computes them in the pass that changes their weights.</summary>
    private void ComputeDendrites(bool all)
    {
        bool rule = !all && _dendriticRule is not null;
        for (int l = 1; l <= _top; l++)
        {
            if ((l > 1 || !_inputBasalCurrent) && !(rule && _ruleBasal[l]))
            {
                MatVec(_forward[l], _r[l - 1], _vB[l]);
                if (l == 1) _inputBasalCurrent = true;
            }
            if (l < _top)
            {
                if (!(rule && _ruleApical[l]))
                {
                    MatVec(_topDown[l], _r[l + 1], _apicalTop[l]);
                    MatVec(_interToApical[l], _rI[l], _vA[l]);
                    TensorPrimitives.Add(_apicalTop[l], _vA[l], _vA[l]);
                }
                if (!(rule && _ruleDendrite[l])) MatVec(_pyrToInter[l], _r[l], _vD[l]);
            }
        }
    }

    /// <summary>y ← W x for row-major W of y.Length rows.</summary>
    private static void MatVec(double[] w, double[] x, double[] y) => MicrocircuitKernels.MatVec(w, x, y);

    private double[] Register(string name, string unit, int length)
    {
        var values = new double[length];
        _variables.Add(name, (values, unit));
        _variableNames.Add(name);
        return values;
    }

    private (double[] Values, string Unit) Lookup(string name) =>
        _variables.TryGetValue(name, out var v) ? v
        : throw new ArgumentException($"Microcircuit '{Name}' has no variable '{name}'; it has: {string.Join(", ", _variableNames)}.", nameof(name));

    private double[] Layer(double[][] arrays, int layer, int first, int last, string what) =>
        layer >= first && layer <= last ? arrays[layer]
        : throw new ArgumentOutOfRangeException(nameof(layer), $"Microcircuit '{Name}' has {what} in layers {first} … {last} only, not in layer {layer}.");

    private double[] RandomMatrix(ulong seed, string purpose, int rows, int columns, double scale)
    {
        var stream = new RandomStream(seed, Name, purpose);
        var w = new double[rows * columns];
        double a = scale / Math.Sqrt(columns);
        for (int i = 0; i < w.Length; i++) w[i] = a * (2 * stream.NextDouble() - 1);
        return w;
    }

    private RandomStream[] Streams(ulong seed, string purpose, int count)
    {
        var root = new RandomStream(seed, Name, purpose);
        var streams = new RandomStream[count];
        for (int i = 0; i < count; i++) streams[i] = root.ForElement((uint)i);
        return streams;
    }
}
