using BioSim.IO.Datasets;

namespace BioSim.IO.Compare;

/// <summary>Settings of the "fashion-mnist" task (file keys as property names).</summary>
public sealed record FashionMnistSettings
{
    /// <summary>The first training samples only (1–60 000); null for all.</summary>
    public int? train_samples { get; init; }

    /// <summary>The first test samples only (1–10 000); null for all.</summary>
    public int? test_samples { get; init; }

    /// <summary>Where the IDX files are (default: the Debian package dataset-fashion-mnist's folder).</summary>
    public string directory { get; init; } = FashionMnist.DefaultDirectory;
}
