namespace BioSim.Workflows.Runs;

/// <summary>The spike exchanges of a split run (<see cref="ExperimentRunner.RunDistributed"/>), for <c>--json</c> and benchmarks.</summary>
/// <param name="IntervalSteps">Steps per communication interval (the shortest delay in whole steps, at least 1).</param>
/// <param name="Count">All-gathers of spikes this run (or resumed run) made: one per interval, plus one where a block ended an interval early.</param>
/// <param name="Time">Wall time process 0 spent in them, packing and unpacking included (its wait for the slowest process too).</param>
/// <param name="MaxSeconds">The largest of every process's time in exchanges, s.</param>
/// <param name="Values">8-byte values received by each process over all exchanges, its own included: per chunk and step a 4-byte
/// count, per spike a 4-byte id and an 8-byte time (ids and counts packed two to a value).</param>
public sealed record SpikeExchange(int IntervalSteps, long Count, TimeSpan Time, double MaxSeconds, long Values);
