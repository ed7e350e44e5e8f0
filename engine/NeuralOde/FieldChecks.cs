namespace BioSim.Engine.NeuralOde;

/// <summary>Length checks that every <see cref="IParametricVectorField"/> runs at the entry of <see cref="IParametricVectorField.Evaluate"/>
/// and <see cref="IParametricVectorField.VectorJacobianProduct"/> (fields live in circuits and plasticity; the messages are shared).</summary>
public static class FieldChecks
{
    /// <summary>Checks x, dx/dt and the (optional) tape against the field.</summary>
    public static void Lengths(IParametricVectorField field, ReadOnlySpan<double> x, Span<double> dxdt, Span<double> tape)
    {
        if (x.Length != field.Dimension) throw new ArgumentException($"x has {x.Length} components, the field has dimension {field.Dimension}.", nameof(x));
        if (dxdt.Length != field.Dimension) throw new ArgumentException($"The output dx/dt has {dxdt.Length} components, but the field has dimension {field.Dimension}.", nameof(dxdt));
        if (!tape.IsEmpty && tape.Length != field.TapeLength) throw new ArgumentException($"The tape has {tape.Length} entries, expected {field.TapeLength} (or an empty span).", nameof(tape));
    }

    /// <summary>Checks the tape, the cotangent and both gradients against the field.</summary>
    public static void VjpLengths(IParametricVectorField field, ReadOnlySpan<double> tape, ReadOnlySpan<double> v, Span<double> gx, Span<double> gTheta)
    {
        if (tape.Length != field.TapeLength) throw new ArgumentException($"The tape has {tape.Length} entries, expected {field.TapeLength}.", nameof(tape));
        if (v.Length != field.Dimension) throw new ArgumentException($"v has {v.Length} components, expected {field.Dimension}.", nameof(v));
        if (gx.Length != field.Dimension) throw new ArgumentException($"The state gradient has {gx.Length} components, expected {field.Dimension}.", nameof(gx));
        if (gTheta.Length != field.ParameterCount) throw new ArgumentException($"The parameter gradient has {gTheta.Length} components, expected {field.ParameterCount}.", nameof(gTheta));
    }
}
