using System.Numerics.Tensors;
using BioSim.Engine.Random;
using BioSim.Plasticity.Networks;

namespace BioSim.Plasticity.Visualisation;

/// <summary>
/// Shared-feature visualisation by parallel backpropagation (Lappe, Bognár, Ghamkhari Nejad, Mukovskiy, Martini, Giese &amp;
/// Vogels, NeurIPS 2024) on a layered <see cref="Network"/> and a <see cref="ModelNeuron"/> reading its layer l:
/// <list type="number">
/// <item>the neuron-specific feature pattern of an image x is u(x) = w ⊙ h_l(x), the readout-weighted activations whose sum
/// (plus b) is the model neuron's response;</item>
/// <item>the out-of-category images with the largest response r̂ are the drivers; for each, the reference is the in-category
/// image (among the strongest in-category drivers) whose pattern is most similar, by the cosine cos∠(u(x_o), u(x_r));</item>
/// <item>the shared score of a pair is S(a, b) = Σ_k [u_k(a)]₊ [u_k(b)]₊: the dimensions that drive the neuron in both images,
/// each weighted by how much it does so in both; dimensions that drive it in one image only, or inhibit it, contribute
/// nothing;</item>
/// <item>parallel backpropagation: both images go through the network as one batch of two rows, and each row's latent
/// activations are backpropagated to its pixels with the seed ∂S/∂h_l(a) = w ⊙ 1[u(a) &gt; 0] ⊙ [u(b)]₊ (and the same with a
/// and b swapped): a dimension is enhanced by the other image's use of it and suppressed where the other image does not
/// share it. The result is the exact gradient ∂S/∂x of each image (checked against central differences in the tests);</item>
/// <item>the heat map of an image is the gradient times the input, g ⊙ x, which is to first order the loss of shared score
/// when a pixel is set to zero. The deletion test zeroes the top fraction of pixels by this map in both images and compares
/// the fall of S with that after zeroing a random fraction.</item>
/// </list>
/// The paper's full text was not available while this was written (only its abstract and figure 1: drivers, reference by
/// arg-max similarity, parallel backprop); the score S and the seeds above are this implementation's reading of "backpropagate
/// latent activations of both images to the pixel level, while enhancing the identified shared dimensions and attenuating
/// non-shared features".
/// </summary>
public sealed class SharedFeatureVisualiser
{
    private const int Block = 256;
    private readonly Network _network;
    private readonly NetworkTape _tape;
    private readonly NetworkTape _pair;
    private readonly int _layer;

    /// <summary>The visualiser of <paramref name="neuron"/>, which reads a hidden layer of <paramref name="network"/>.</summary>
    public SharedFeatureVisualiser(Network network, ModelNeuron neuron)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(neuron);
        if (neuron.Layer < 1 || neuron.Layer > network.Layers.Count)
            throw new ArgumentException($"The model neuron reads layer {neuron.Layer} but the network has layers 1 … {network.Layers.Count}.", nameof(neuron));
        if (network.Layers[neuron.Layer - 1].Outputs != neuron.Width)
            throw new ArgumentException($"The model neuron has {neuron.Width} weights but {network.Layers[neuron.Layer - 1].Name} has {network.Layers[neuron.Layer - 1].Outputs} units.", nameof(neuron));
        _network = network;
        Neuron = neuron;
        _layer = neuron.Layer;
        _tape = network.CreateTape(Block);
        _pair = network.CreateTape(2);
    }

    /// <summary>The readout visualised.</summary>
    public ModelNeuron Neuron { get; }

    /// <summary>Pixels (input values) per image.</summary>
    public int Pixels => _network.InputSize;

    /// <summary>Layer-l activations of <paramref name="count"/> images (count × width, row-major), and, when
    /// <paramref name="outputs"/> is given, the network's output pre-activations z_L (count × OutputSize).</summary>
    public double[] Features(ReadOnlySpan<double> images, int count, double[]? outputs = null)
    {
        int d = Neuron.Width, o = _network.OutputSize, p = Pixels;
        if (images.Length < (long)count * p) throw new ArgumentException($"{count} images need {count * p} values, got {images.Length}.", nameof(images));
        var features = new double[count * d];
        for (int start = 0; start < count; start += Block)
        {
            int rows = Math.Min(Block, count - start);
            _network.Forward(images.Slice(start * p, rows * p), rows, _tape);
            _tape.H[_layer].AsSpan(0, rows * d).CopyTo(features.AsSpan(start * d));
            if (outputs is not null) _tape.Z[^1].AsSpan(0, rows * o).CopyTo(outputs.AsSpan(start * o));
        }
        return features;
    }

    /// <summary>u ← w ⊙ h: the neuron-specific feature pattern of one row of layer-l activations.</summary>
    public void Pattern(ReadOnlySpan<double> features, Span<double> pattern) => TensorPrimitives.Multiply(features, Neuron.Weights, pattern);

    /// <summary>cos∠(u_a, u_b); 0 when either pattern is zero.</summary>
    public static double Similarity(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>S = Σ_k [u_k(a)]₊ [u_k(b)]₊ of two patterns.</summary>
    public static double PatternScore(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Patterns of {a.Length} and {b.Length} values.", nameof(b));
        double s = 0;
        for (int k = 0; k < a.Length; k++) s += Math.Max(a[k], 0) * Math.Max(b[k], 0);
        return s;
    }

    /// <summary>S(a, b) of two images.</summary>
    public double SharedScore(ReadOnlySpan<double> imageA, ReadOnlySpan<double> imageB)
    {
        ForwardPair(imageA, imageB);
        int d = Neuron.Width;
        var h = _pair.H[_layer];
        Span<double> ua = new double[d], ub = new double[d];
        Pattern(h.AsSpan(0, d), ua);
        Pattern(h.AsSpan(d, d), ub);
        return PatternScore(ua, ub);
    }

    /// <summary>
    /// Parallel backpropagation: ∂S/∂x_a → <paramref name="gradientA"/> and ∂S/∂x_b → <paramref name="gradientB"/>, both
    /// images in one batch of two rows (see the class summary); returns S(a, b).
    /// </summary>
    public double SharedGradients(ReadOnlySpan<double> imageA, ReadOnlySpan<double> imageB, Span<double> gradientA, Span<double> gradientB)
    {
        int p = Pixels, d = Neuron.Width;
        if (gradientA.Length != p || gradientB.Length != p) throw new ArgumentException($"The gradients need {p} values each.", nameof(gradientA));
        ForwardPair(imageA, imageB);
        var w = Neuron.Weights;
        var h = _pair.H[_layer];
        double s = 0;
        // The seeds ∂S/∂h_l of both rows.
        var seed = _pair.Delta[_layer];
        for (int k = 0; k < d; k++)
        {
            double ua = w[k] * h[k], ub = w[k] * h[d + k];
            s += Math.Max(ua, 0) * Math.Max(ub, 0);
            seed[k] = ua > 0 ? w[k] * Math.Max(ub, 0) : 0;
            seed[d + k] = ub > 0 ? w[k] * Math.Max(ua, 0) : 0;
        }
        // Backwards through layers l … 1: δz = δh ⊙ f′(z), δh_below = s_l · δz W_l. δh of layer l is the seed; the input's δh
        // goes to a buffer of two rows.
        Span<double> upper = seed.AsSpan(0, 2 * d);
        for (int l = _layer; l >= 1; l--)
        {
            var layer = _network.Layers[l - 1];
            int n = 2 * layer.Outputs;
            Span<double> derivative = _pair.Derivative.AsSpan(0, n);
            layer.Activation.Derivative(_pair.Z[l].AsSpan(0, n), _pair.H[l].AsSpan(0, n), derivative);
            Span<double> dz = new double[n];
            TensorPrimitives.Multiply(upper, derivative, dz);
            double[] below = l > 1 ? _pair.Delta[l - 1] : new double[2 * p];
            _network.Product.Multiply(false, false, 2, layer.Inputs, layer.Outputs, layer.Scale, dz, layer.Weights, 0.0, below.AsSpan(0, 2 * layer.Inputs));
            upper = below.AsSpan(0, 2 * layer.Inputs);
        }
        upper[..p].CopyTo(gradientA);
        upper.Slice(p, p).CopyTo(gradientB);
        return s;
    }

    /// <summary>The heat map g ⊙ x of an image: the first-order fall of S when each pixel is set to zero.</summary>
    public static void Saliency(ReadOnlySpan<double> image, ReadOnlySpan<double> gradient, Span<double> saliency) =>
        TensorPrimitives.Multiply(image, gradient, saliency);

    /// <summary>The indices of the ⌈fraction · pixels⌉ largest values of <paramref name="saliency"/> (ties: lower index first).</summary>
    public static int[] TopPixels(ReadOnlySpan<double> saliency, double fraction)
    {
        int k = DeletedCount(saliency.Length, fraction);
        var order = new int[saliency.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var values = saliency.ToArray();
        Array.Sort(order, (x, y) => values[x] != values[y] ? values[y].CompareTo(values[x]) : x.CompareTo(y));
        return order[..k];
    }

    /// <summary>S(a, b) − S(a′, b′), where a′ and b′ are the images with <paramref name="deleteA"/> and
    /// <paramref name="deleteB"/> set to zero.</summary>
    public double DeletionDrop(ReadOnlySpan<double> imageA, ReadOnlySpan<double> imageB, int[] deleteA, int[] deleteB)
    {
        double before = SharedScore(imageA, imageB);
        double[] a = imageA.ToArray(), b = imageB.ToArray();
        foreach (int i in deleteA) a[i] = 0;
        foreach (int i in deleteB) b[i] = 0;
        return before - SharedScore(a, b);
    }

    /// <summary>The mean <see cref="DeletionDrop"/> over <paramref name="draws"/> random choices of ⌈fraction · pixels⌉ pixels
    /// in each image (streams (seed, "visualisation", "deletion")).</summary>
    public double RandomDeletionDrop(ReadOnlySpan<double> imageA, ReadOnlySpan<double> imageB, double fraction, int draws, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        int k = DeletedCount(Pixels, fraction);
        var rng = new RandomStream(seed, "visualisation", "deletion");
        double sum = 0;
        for (int r = 0; r < draws; r++) sum += DeletionDrop(imageA, imageB, RandomPixels(ref rng, Pixels, k), RandomPixels(ref rng, Pixels, k));
        return sum / draws;
    }

    /// <summary>The pairs of the method: the <paramref name="pairs"/> out-of-category images of <paramref name="images"/> (rows of
    /// <see cref="Pixels"/> values, labels in <paramref name="labels"/>) with the largest response, each with its reference among
    /// the <paramref name="referencePool"/> in-category images with the largest response (0: all of them), their gradients,
    /// heat maps and deletion test (top <paramref name="deletionFraction"/> against the mean of
    /// <paramref name="randomDraws"/> random deletions).</summary>
    public IReadOnlyList<SharedFeaturePair> Visualise(ReadOnlySpan<double> images, IReadOnlyList<int> labels, int category, int pairs, int referencePool,
        double deletionFraction = 0.1, int randomDraws = 20, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int count = labels.Count, d = Neuron.Width, p = Pixels;
        var features = Features(images, count);
        var response = new double[count];
        for (int i = 0; i < count; i++) response[i] = Neuron.Response(features.AsSpan(i * d, d));
        int[] outside = [.. Enumerable.Range(0, count).Where(i => labels[i] != category).OrderByDescending(i => response[i]).ThenBy(i => i)];
        int[] inside = [.. Enumerable.Range(0, count).Where(i => labels[i] == category).OrderByDescending(i => response[i]).ThenBy(i => i)];
        if (inside.Length == 0) throw new ArgumentException($"No image of category {category} among the {count} images.", nameof(category));
        if (outside.Length == 0) throw new ArgumentException($"No image outside category {category} among the {count} images.", nameof(category));
        if (referencePool > 0 && referencePool < inside.Length) inside = inside[..referencePool];
        var result = new List<SharedFeaturePair>();
        double[] uo = new double[d], ur = new double[d];
        for (int j = 0; j < Math.Min(pairs, outside.Length); j++)
        {
            int driver = outside[j];
            Pattern(features.AsSpan(driver * d, d), uo);
            int reference = inside[0];
            double best = double.NegativeInfinity;
            foreach (int r in inside)
            {
                Pattern(features.AsSpan(r * d, d), ur);
                double c = Similarity(uo, ur);
                if (c > best) (best, reference) = (c, r);
            }
            var a = images.Slice(driver * p, p);
            var b = images.Slice(reference * p, p);
            double[] ga = new double[p], gb = new double[p], sa = new double[p], sb = new double[p];
            double score = SharedGradients(a, b, ga, gb);
            Saliency(a, ga, sa);
            Saliency(b, gb, sb);
            double top = DeletionDrop(a, b, TopPixels(sa, deletionFraction), TopPixels(sb, deletionFraction));
            double random = RandomDeletionDrop(a, b, deletionFraction, randomDraws, seed + (ulong)j);
            result.Add(new SharedFeaturePair(driver, reference, labels[driver], response[driver], response[reference], best, score, ga, gb, sa, sb, top, random));
        }
        return result;
    }

    private static int DeletedCount(int pixels, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The deleted fraction must be in (0, 1].");
        return (int)Math.Ceiling(fraction * pixels - 1e-9);
    }

    private static int[] RandomPixels(ref RandomStream rng, int pixels, int k)
    {
        var order = new int[pixels];
        for (int i = 0; i < pixels; i++) order[i] = i;
        for (int i = 0; i < k; i++)
        {
            int j = i + (int)rng.NextUInt32((uint)(pixels - i));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..k];
    }

    private void ForwardPair(ReadOnlySpan<double> imageA, ReadOnlySpan<double> imageB)
    {
        int p = Pixels;
        if (imageA.Length != p || imageB.Length != p) throw new ArgumentException($"Each image needs {p} values (got {imageA.Length} and {imageB.Length}).", nameof(imageA));
        Span<double> both = new double[2 * p];
        imageA.CopyTo(both);
        imageB.CopyTo(both[p..]);
        _network.Forward(both, 2, _pair);
    }
}

/// <summary>One visualised pair: an out-of-category driver of the model neuron and its in-category reference.</summary>
/// <param name="Driver">the driver's row in the image set.</param>
/// <param name="Reference">the reference's row.</param>
/// <param name="DriverLabel">the driver's category.</param>
/// <param name="DriverResponse">r̂ of the driver.</param>
/// <param name="ReferenceResponse">r̂ of the reference.</param>
/// <param name="Similarity">cos∠(u(driver), u(reference)).</param>
/// <param name="SharedScore">S(driver, reference).</param>
/// <param name="DriverGradient">∂S/∂x of the driver.</param>
/// <param name="ReferenceGradient">∂S/∂x of the reference.</param>
/// <param name="DriverSaliency">g ⊙ x of the driver (the heat map).</param>
/// <param name="ReferenceSaliency">g ⊙ x of the reference.</param>
/// <param name="TopDeletionDrop">the fall of S when the top fraction of pixels by heat map is zeroed in both images.</param>
/// <param name="RandomDeletionDrop">the mean fall of S when a random fraction is zeroed in both images.</param>
public sealed record SharedFeaturePair(int Driver, int Reference, int DriverLabel, double DriverResponse, double ReferenceResponse, double Similarity,
    double SharedScore, double[] DriverGradient, double[] ReferenceGradient, double[] DriverSaliency, double[] ReferenceSaliency,
    double TopDeletionDrop, double RandomDeletionDrop);
