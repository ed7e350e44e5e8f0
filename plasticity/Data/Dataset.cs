namespace BioSim.Plasticity.Data;

/// <summary>
/// Samples for a task, one row each: inputs (Count × InputSize) and either regression targets
/// (Count × OutputSize) or class labels (0 … OutputSize−1, turned into one-hot rows when a batch is
/// gathered). Stored in float to halve the memory of image sets; batches are gathered into double.
/// </summary>
public sealed class Dataset
{
    /// <summary>A regression set: <paramref name="targets"/> holds <paramref name="outputSize"/> values per sample.</summary>
    /// <param name="name">Name for messages.</param>
    /// <param name="inputSize">Input values per sample.</param>
    /// <param name="inputs">Inputs, row-major Count × <paramref name="inputSize"/>.</param>
    /// <param name="targets">Targets, row-major Count × <paramref name="outputSize"/>.</param>
    /// <param name="outputSize">Target values per sample.</param>
    public Dataset(string name, int inputSize, float[] inputs, float[] targets, int outputSize)
    {
        (Name, InputSize, OutputSize, Inputs, Targets) = (name, inputSize, outputSize, inputs, targets);
        Count = CheckRows(name, inputs.Length, inputSize);
        if (targets.Length != (long)Count * outputSize)
            throw new ArgumentException($"Data set '{name}': {Count} samples need {Count * outputSize} target values, got {targets.Length}.", nameof(targets));
    }

    /// <summary>A classification set: one label in 0 … <paramref name="classes"/>−1 per sample.</summary>
    /// <param name="name">Name for messages.</param>
    /// <param name="inputSize">Input values per sample.</param>
    /// <param name="inputs">Inputs, row-major Count × <paramref name="inputSize"/>.</param>
    /// <param name="labels">Class of each sample.</param>
    /// <param name="classes">Number of classes (the target width).</param>
    public Dataset(string name, int inputSize, float[] inputs, int[] labels, int classes)
    {
        (Name, InputSize, OutputSize, Inputs, Labels) = (name, inputSize, classes, inputs, labels);
        Count = CheckRows(name, inputs.Length, inputSize);
        if (labels.Length != Count) throw new ArgumentException($"Data set '{name}': {Count} samples but {labels.Length} labels.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"Data set '{name}': label {labels[i]} of sample {i} is outside 0 … {classes - 1}.", nameof(labels));
    }

    /// <summary>The set's name, for messages.</summary>
    public string Name { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Input values per sample.</summary>
    public int InputSize { get; }

    /// <summary>Target width: the regression output size or the number of classes.</summary>
    public int OutputSize { get; }

    /// <summary>Inputs, row-major Count × InputSize.</summary>
    public float[] Inputs { get; }

    /// <summary>Regression targets, row-major Count × OutputSize; null for a classification set.</summary>
    public float[]? Targets { get; }

    /// <summary>Class labels in 0 … OutputSize−1; null for a regression set.</summary>
    public int[]? Labels { get; }

    /// <summary>Whether the set has class labels rather than regression targets.</summary>
    public bool IsClassification => Labels is not null;

    /// <summary>Copies the inputs and (one-hot) targets of the samples <paramref name="indices"/> into row-major batches.</summary>
    public void Gather(ReadOnlySpan<int> indices, Span<double> inputs, Span<double> targets)
    {
        for (int r = 0; r < indices.Length; r++)
        {
            int s = indices[r];
            ReadOnlySpan<float> x = Inputs.AsSpan(s * InputSize, InputSize);
            Span<double> dx = inputs.Slice(r * InputSize, InputSize);
            for (int j = 0; j < x.Length; j++) dx[j] = x[j];
            Span<double> dy = targets.Slice(r * OutputSize, OutputSize);
            if (Labels is { } labels)
            {
                dy.Clear();
                dy[labels[s]] = 1.0;
            }
            else
            {
                ReadOnlySpan<float> y = Targets.AsSpan(s * OutputSize, OutputSize);
                for (int j = 0; j < y.Length; j++) dy[j] = y[j];
            }
        }
    }

    private static int CheckRows(string name, int length, int inputSize)
    {
        if (inputSize <= 0 || length % inputSize != 0)
            throw new ArgumentException($"Data set '{name}': {length} input values are not whole rows of {inputSize}.");
        return length / inputSize;
    }
}
