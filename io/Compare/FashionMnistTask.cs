using BioSim.IO.Datasets;
using BioSim.Plasticity.Data;

namespace BioSim.IO.Compare;

/// <summary>Fashion-MNIST from its IDX files (optionally the first samples of each split); a missing data set says how to install it.</summary>
public sealed class FashionMnistTask : ComparisonTask<FashionMnistSettings>
{
    /// <inheritdoc/>
    protected override IEnumerable<FashionMnistSettings> TypedExamples => [new() { train_samples = 40, test_samples = 20 }];

    /// <inheritdoc/>
    protected override TaskSpec Describe(string type, FashionMnistSettings settings)
    {
        if (settings.train_samples is < 1 or > 60_000) throw new ArgumentException($"train_samples: must be an integer in [1, 60000], got {settings.train_samples}");
        if (settings.test_samples is < 1 or > 10_000) throw new ArgumentException($"test_samples: must be an integer in [1, 10000], got {settings.test_samples}");
        if (string.IsNullOrWhiteSpace(settings.directory)) throw new ArgumentException("directory: must name the folder of the IDX files");
        return new TaskSpec(type, settings, 784, FashionMnist.Classes, Classification: true, type);
    }

    /// <inheritdoc/>
    protected override (Dataset Train, Dataset Test) Load(FashionMnistSettings settings)
    {
        var (train, test) = FashionMnist.Load(settings.directory);
        return (DatasetRows.First(train, settings.train_samples), DatasetRows.First(test, settings.test_samples));
    }
}
