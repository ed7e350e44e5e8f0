using BioSim.Engine.Random;

namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The task a <see cref="CorticalMicrocircuit"/> of an experiment file learns (the population's <c>"task"</c>, next to its
/// <c>"parameters"</c> and <c>"plasticity"</c>): the samples it presents to itself in turn, one every sample_duration
/// (<see cref="IMicrocircuitSamples"/>). The circuit's parameters describe the circuit only; what it is shown and what
/// it is nudged towards is the task.
/// <list type="bullet">
/// <item><c>{"type": "random-patterns", "patterns": N}</c>: N input patterns, rates uniform in [0, 1) from the stream
/// (seed, population name, "patterns"), no target (e.g. learning the self-predicting state).</item>
/// <item><c>{"type": "teacher-student", "patterns": N, "teacher_scale": s}</c>: the same patterns, the targets the output
/// potentials of a random teacher circuit of the same shape (named population + "/teacher") whose weights are uniform in
/// [−s, s]/√(fan-in), computed by its feedforward pass (the nonlinear regression task of Sacramento et al. 2018, Fig. 2).</item>
/// </list>
/// </summary>
public sealed record MicrocircuitTask
{
    /// <summary>The task types.</summary>
    public static readonly IReadOnlyList<string> Types = ["random-patterns", "teacher-student"];

    /// <summary>type: "random-patterns" or "teacher-student".</summary>
    public string type { get; init; } = "";

    /// <summary>patterns, how many random input patterns are presented in turn, ≥ 1.</summary>
    public int patterns { get; init; }

    /// <summary>teacher_scale, s of the teacher's weights (dimensionless), &gt; 0; only for "teacher-student".</summary>
    public double? teacher_scale { get; init; }

    /// <summary>The first invalid field as "field: problem", or null.</summary>
    public string? Validate() =>
        (Types.Contains(type) ? null : $"type: '{type}' is not a microcircuit task; allowed: {string.Join(", ", Types)}")
        ?? (patterns >= 1 ? null : $"patterns: needs at least one input pattern, got {patterns}")
        ?? (type == "teacher-student"
            ? (teacher_scale is > 0 and < double.PositiveInfinity ? null : $"teacher_scale: a teacher-student task needs the teacher's weight scale > 0, got {teacher_scale?.ToString() ?? "none"}")
            : (teacher_scale is null ? null : "teacher_scale: only a \"teacher-student\" task has a teacher; remove it or use \"type\": \"teacher-student\""));

    /// <summary>The task's samples for <paramref name="circuit"/>, drawn from <paramref name="seed"/> and the circuit's name.</summary>
    public SampleTable Samples(CorticalMicrocircuit circuit, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        if (Validate() is { } problem) throw new ArgumentException($"Microcircuit '{circuit.Name}': task {problem}.");
        var p = circuit.Parameters;
        int n0 = p.layers[0], nL = p.layers[^1];
        var inputs = new double[patterns * n0];
        var stream = new RandomStream(seed, circuit.Name, "patterns");
        for (int i = 0; i < inputs.Length; i++) inputs[i] = stream.NextDouble();
        if (type != "teacher-student") return new SampleTable(inputs, n0);
        var teacher = new CorticalMicrocircuit(circuit.Name + "/teacher", p with { initial_scale = teacher_scale!.Value, self_predicting = false }, seed);
        var targets = new double[patterns * nL];
        for (int k = 0; k < patterns; k++) teacher.FeedforwardPass(inputs.AsSpan(k * n0, n0), targets.AsSpan(k * nL, nL));
        return new SampleTable(inputs, n0, targets, nL);
    }
}
