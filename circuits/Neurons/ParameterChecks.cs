namespace BioSim.Circuits.Neurons;

/// <summary>
/// The checks parameter records share, each returning "field: problem" or null, so that a record's <c>Validate()</c>
/// is one chain of them (<c>Positive(...) ?? Finite(...) ?? …</c>) and the same problem reads the same in every model.
/// </summary>
internal static class ParameterChecks
{
    /// <summary>A positive, finite value in <paramref name="unit"/>.</summary>
    public static string? Positive(double value, string field, string unit) =>
        value > 0 && !double.IsInfinity(value) ? null : $"{field}: must be a positive number of {unit}, got {value}";

    /// <summary>A non-negative, finite value in <paramref name="unit"/>.</summary>
    public static string? NonNegative(double value, string field, string unit) =>
        value >= 0 && !double.IsInfinity(value) ? null : $"{field}: must be a non-negative number of {unit}, got {value}";

    /// <summary>Any finite value.</summary>
    public static string? Finite(double value, string field) => double.IsFinite(value) ? null : $"{field}: must be finite, got {value}";

    /// <summary>An integrate-and-fire neuron's threshold, reset below it and refractory period (mV, mV, ms).</summary>
    public static string? ThresholdAndReset(double vTh, double vReset, double tRef) =>
        Finite(vTh, "V_th") ?? Finite(vReset, "V_reset")
        ?? (vReset < vTh ? null : $"V_reset: must be below V_th ({vTh} mV), got {vReset}")
        ?? NonNegative(tRef, "t_ref", "ms");
}
