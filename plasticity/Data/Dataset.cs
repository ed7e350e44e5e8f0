namespace BioSim.Plasticity.Data;

/// <summary>
/// Samples for a task, one row each: inputs (Count × InputSize) and either regression targets
/// (Count × OutputSize) or class labels (0 … OutputSize−1, turned into one-hot rows when a batch is
/// gathered). Stored in float to halve the memory of image sets; batches are gathered into double.
/// </summary>
public sealed class Dataset
{
    public Dataset(string name, int inputSize, float[] inputs, float[] targets, int outputSize)
    {
        (Name, InputSize, OutputSize, Inputs, Targets) = (name, inputSize, outputSize, inputs, targets);
        Count = CheckRows(name, inputs.Length, inputSize);
        if (targets.Length != (long)Count * outputSize)
            throw new ArgumentException($"Data set '{name}': {Count} samples need {Count * outputSize} target values, got {targets.Length}.", nameof(targets));
    }

    public Dataset(string name, int inputSize, float[] inputs, int[] labels, int classes)
    {
        (Name, InputSize, OutputSize, Inputs, Labels) = (name, inputSize, classes, inputs, labels);
        Count = CheckRows(name, inputs.Length, inputSize);
        if (labels.Length != Count) throw new ArgumentException($"Data set '{name}': {Count} samples but {labels.Length} labels.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes) throw new ArgumentException($"Data set '{name}': label {labels[i]} of sample {i} is outside 0 … {classes - 1}.", nameof(labels));
    }

    public string Name { get; }

    public int Count { get; }

    public int InputSize { get; }

    /// <summary>Target width: the regression output size or the number of classes.</summary>
    public int OutputSize { get; }

    public float[] Inputs { get; }

    public float[]? Targets { get; }

    public int[]? Labels { get; }

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
