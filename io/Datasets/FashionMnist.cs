using BioSim.Plasticity.Data;

namespace BioSim.IO.Datasets;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 60 000 training and 10 000 test images of 28 × 28
/// grey pixels in 10 classes, read from the Debian package <c>dataset-fashion-mnist</c>
/// (/usr/share/datasets/fashion-mnist, gzip IDX files). Pixels are scaled to [0, 1] (x/255).
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Number of classes (labels 0–9: T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot).</summary>
    public const int Classes = 10;

    /// <summary>The training and test sets; a missing file gives an error that says how to install the package.</summary>
    public static (Dataset Train, Dataset Test) Load(string directory = DefaultDirectory) =>
        (Load(directory, "train"), Load(directory, "t10k"));

    /// <summary>One split: "train" or "t10k".</summary>
    public static Dataset Load(string directory, string split)
    {
        var images = IdxReader.Read(Find(directory, $"{split}-images-idx3-ubyte"));
        var labels = IdxReader.Read(Find(directory, $"{split}-labels-idx1-ubyte"));
        if (images.Count != labels.Count)
            throw new InvalidDataException($"Fashion-MNIST {split}: {images.Count} images but {labels.Count} labels in {directory}.");
        var x = new float[images.Values.Length];
        for (int i = 0; i < x.Length; i++) x[i] = images.Values[i] / 255f;
        var y = new int[labels.Count];
        for (int i = 0; i < y.Length; i++) y[i] = labels.Values[i];
        return new Dataset($"fashion-mnist/{split}", images.ItemSize, x, y, Classes);
    }

    private static string Find(string directory, string stem)
    {
        foreach (string name in new[] { stem + ".gz", stem })
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"Fashion-MNIST was not found: no {stem}.gz or {stem} in {directory}. Install the Debian package with 'sudo apt-get install dataset-fashion-mnist' (it puts the files in {DefaultDirectory}).",
            Path.Combine(directory, stem + ".gz"));
    }
}
