using BioSim.IO.Sweeps;

namespace BioSim.Workflows.Sweep;

/// <summary>One task of a sweep: its number, its parameter values, its seed and its expanded base file.</summary>
/// <param name="Index">0-based task number (the Slurm array index; folder task-NNNN).</param>
/// <param name="Settings">The values the sweep gives it (list entry first, then the grid axes in order).</param>
/// <param name="Seed">The derived seed (for a comparison, the first of its seeds), or null when the base file's seeds are kept.</param>
/// <param name="Json">The expanded base file.</param>
public sealed record SweepTask(int Index, IReadOnlyList<SweepSetting> Settings, ulong? Seed, string Json);

/// <summary>A checked sweep, ready to be written: the definition, the base kind and every task.</summary>
/// <param name="Definition">The sweep file as read.</param>
/// <param name="Kind">"experiment", "comparison" or "fit".</param>
/// <param name="TaskFile">The expanded base file's name in each task folder.</param>
/// <param name="Parameters">The swept paths, in table order.</param>
/// <param name="Tasks">Every task, in order.</param>
public sealed record SweepPlan(SweepDefinition Definition, string Kind, string TaskFile, IReadOnlyList<string> Parameters, IReadOnlyList<SweepTask> Tasks);
