using BioSim.IO.Datasets;
using BioSim.Plasticity.Data;
using NUnit.Framework;

namespace BioSim.Tests.Validation;

/// <summary>
/// Fashion-MNIST for the validation tests, loaded once. A missing data set fails the test, naming the Debian package
/// (dataset-fashion-mnist, installed by .ci/setup): a skip would let a broken machine pass.
/// </summary>
internal static class FashionMnistData
{
    private static readonly Lazy<(Dataset Train, Dataset Test)> Full = new(() => FashionMnist.Load());

    /// <summary>The whole training (60 000) and test (10 000) sets; fails the test when the package is missing.</summary>
    public static (Dataset Train, Dataset Test) Load()
    {
        if (!Directory.Exists(FashionMnist.DefaultDirectory))
        {
            Assert.Fail($"Fashion-MNIST is missing: {FashionMnist.DefaultDirectory} does not exist. Install the Debian package " +
                "dataset-fashion-mnist ('apt-get install dataset-fashion-mnist'; .ci/setup does).");
        }
        return Full.Value;
    }

    /// <summary>The first <paramref name="count"/> samples of <paramref name="d"/>.</summary>
    public static Dataset First(Dataset d, int count) =>
        new($"{d.Name}[..{count}]", d.InputSize, d.Inputs[..(count * d.InputSize)], d.Labels![..count], d.OutputSize);
}
