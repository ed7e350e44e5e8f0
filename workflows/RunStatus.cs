namespace BioSim.Workflows;

/// <summary>
/// A run's state and, for a stopped run, what stopped it. Its text (<see cref="ToString"/>) is what output files
/// hold in their <c>status</c> attribute: "running", "completed", "completed with diverged runs",
/// "cancelled at t = 12.5 ms", "diverged: &lt;message&gt;"; <see cref="Parse"/> reads it back.
/// </summary>
/// <param name="State">Where the run stands.</param>
/// <param name="Detail">For <see cref="RunState.Cancelled"/> and <see cref="RunState.Diverged"/>: when, or the message.</param>
public sealed record RunStatus(RunState State, string? Detail = null)
{
    private const string DivergedPrefix = "diverged: ";
    private const string CancelledPrefix = "cancelled ";

    /// <summary>A run under way.</summary>
    public static RunStatus Running { get; } = new(RunState.Running);

    /// <summary>A run that reached its end.</summary>
    public static RunStatus Completed { get; } = new(RunState.Completed);

    /// <summary>A comparison that reached its end with some runs diverged.</summary>
    public static RunStatus CompletedWithDivergedRuns { get; } = new(RunState.CompletedWithDivergedRuns);

    /// <summary>A run stopped on numerical blow-up, with the message that says where and when.</summary>
    public static RunStatus DivergedWith(string message) => new(RunState.Diverged, message);

    /// <summary>A run stopped by a signal at simulated time <paramref name="timeMs"/>.</summary>
    public static RunStatus CancelledAt(double timeMs) =>
        new(RunState.Cancelled, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"at t = {timeMs:0.###} ms"));

    /// <summary>Whether the run diverged.</summary>
    public bool Diverged => State == RunState.Diverged;

    /// <summary>The text stored in files.</summary>
    public override string ToString() => State switch
    {
        RunState.Running => "running",
        RunState.Completed => "completed",
        RunState.CompletedWithDivergedRuns => "completed with diverged runs",
        RunState.Cancelled => CancelledPrefix + Detail,
        _ => DivergedPrefix + Detail,
    };

    /// <summary>Reads the text of <see cref="ToString"/> back (from a file's <c>status</c> attribute).</summary>
    /// <exception cref="FormatException">The text is none of the forms above.</exception>
    public static RunStatus Parse(string text) => text switch
    {
        "running" => Running,
        "completed" => Completed,
        "completed with diverged runs" => CompletedWithDivergedRuns,
        _ when text.StartsWith(DivergedPrefix, StringComparison.Ordinal) => DivergedWith(text[DivergedPrefix.Length..]),
        _ when text.StartsWith(CancelledPrefix, StringComparison.Ordinal) => new(RunState.Cancelled, text[CancelledPrefix.Length..]),
        _ => throw new FormatException($"'{text}' is not a run status; expected running, completed, completed with diverged runs, cancelled at …, or diverged: …"),
    };
}
