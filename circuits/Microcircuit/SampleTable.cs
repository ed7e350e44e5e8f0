namespace BioSim.Circuits.Microcircuit;

/// <summary>Samples held in memory: input rates (row-major, one row per sample) and, optionally, target potentials.</summary>
public sealed class SampleTable : IMicrocircuitSamples
{
    private readonly double[] _inputs;
    private readonly double[]? _targets;
    private readonly int _inputSize, _outputSize;

    /// <param name="inputs">Input rates, row-major: <see cref="Count"/> rows of <paramref name="inputSize"/>.</param>
    /// <param name="inputSize">Cells of the input layer, ≥ 1.</param>
    /// <param name="targets">Target potentials (mV), row-major with <paramref name="outputSize"/> columns and as many rows as
    /// the inputs; null: no sample has a target.</param>
    /// <param name="outputSize">Cells of the output layer (with targets).</param>
    public SampleTable(double[] inputs, int inputSize, double[]? targets = null, int outputSize = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (inputs.Length == 0 || inputs.Length % inputSize != 0) throw new ArgumentException($"{inputs.Length} input values are not a whole number of samples of {inputSize}.", nameof(inputs));
        Count = inputs.Length / inputSize;
        if (targets is not null && (outputSize < 1 || targets.Length != Count * outputSize))
        {
            throw new ArgumentException($"{targets.Length} target values are not {Count} samples of {outputSize}.", nameof(targets));
        }
        _inputs = inputs;
        _targets = targets;
        _inputSize = inputSize;
        _outputSize = outputSize;
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public void Input(int index, Span<double> rates) => _inputs.AsSpan(index * _inputSize, _inputSize).CopyTo(rates);

    /// <inheritdoc/>
    public bool Target(int index, Span<double> potentials)
    {
        if (_targets is null) return false;
        _targets.AsSpan(index * _outputSize, _outputSize).CopyTo(potentials);
        return true;
    }
}
