using BioSim.Engine.Numerics;
using BioSim.Engine.Random;
using BioSim.IO.Datasets;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Optimisers;
using BioSim.Plasticity.Rules;
using BioSim.Plasticity.Training;
using BioSim.Plasticity.Visualisation;
using NUnit.Framework;

namespace BioSim.Tests.Plasticity;

/// <summary>
/// Shared-feature visualisation by parallel backpropagation (Lappe et al., NeurIPS 2024; <see cref="SharedFeatureVisualiser"/>):
/// the ridge readout against its closed form, the pixel gradients of the shared score against central differences, the
/// reference choice against a brute-force arg max, and the check on a synthetic category-selective neuron.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class SharedFeatureVisualisationTests
{
    private static Network SmallNetwork(Activation hidden, ulong seed)
    {
        var net = new Network(20, [new LayerSpec(12, hidden), new LayerSpec(9, new Softplus()), new LayerSpec(4, new Identity())], new ManagedMatrixProduct());
        net.Initialise(seed);
        return net;
    }

    private static double[] Gaussian(int n, ulong seed, string purpose, double scale = 1)
    {
        var rng = new RandomStream(seed, "shared-feature-tests", purpose);
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = scale * rng.NextGaussian();
        return x;
    }

    /// <summary>
    /// Noiseless responses that are an exact linear readout of the features: with ridge 0 the fit returns the readout's
    /// weights and bias (a well-posed least-squares problem, 200 rows × 9 features: errors at rounding level, 1e-9 leaves room
    /// for the conditioning of XᵀX); a positive ridge shrinks w (‖w‖ falls), as (XᵀX + λI)⁻¹ must.
    /// </summary>
    [Test]
    public void RidgeReadoutRecoversAnExactReadout()
    {
        var net = SmallNetwork(new Tanh(), 3);
        var images = Gaussian(200 * 20, 1, "images");
        var probe = new SharedFeatureVisualiser(net, new ModelNeuron(2, new double[9], 0, 0));
        var features = probe.Features(images, 200);
        var known = Gaussian(9, 2, "readout");
        var responses = new double[200];
        for (int r = 0; r < 200; r++) responses[r] = 0.7 + System.Numerics.Tensors.TensorPrimitives.Dot(features.AsSpan(r * 9, 9), known);
        var fit = ModelNeuron.Fit(2, features, 200, responses, 0, net.Product);
        Assert.That(fit.Weights, Is.EqualTo(known).Within(1e-9));
        Assert.That(fit.Bias, Is.EqualTo(0.7).Within(1e-9));
        var ridge = ModelNeuron.Fit(2, features, 200, responses, 0.1, net.Product);
        Assert.That(System.Numerics.Tensors.TensorPrimitives.Norm(ridge.Weights), Is.LessThan(System.Numerics.Tensors.TensorPrimitives.Norm(known)));
    }

    /// <summary>
    /// ∂S/∂x of both images from one backward pass of the pair against central differences of S (step 1e-6) at every pixel,
    /// for readouts of layer 2 (tanh then softplus) and layer 1 (ReLU). S is smooth where no pattern value u_k sits at the kink
    /// of [·]₊ or of ReLU; the test asserts that every |u_k| (except those of ReLU units that are off) and every ReLU
    /// pre-activation is ≥ 1e-4, far beyond the step.
    /// The difference quotient's error is O(h²)·S‴ plus rounding ~1e-16·S/h ≈ 1e-10: tolerance 1e-7 of the largest gradient.
    /// </summary>
    [TestCase("tanh", 2)]
    [TestCase("relu", 1)]
    public void SharedGradientsMatchCentralDifferences(string hidden, int layer)
    {
        var net = SmallNetwork(hidden == "relu" ? new Relu() : new Tanh(), 5);
        int width = net.Layers[layer - 1].Outputs;
        var neuron = new ModelNeuron(layer, Gaussian(width, 6, "w"), 0.3, 0);
        var v = new SharedFeatureVisualiser(net, neuron);
        // Two images whose patterns share positive dimensions: b is a perturbed a.
        var a = Gaussian(20, 7, "a");
        var b = Gaussian(20, 8, "b", 0.5);
        for (int i = 0; i < 20; i++) b[i] += a[i];
        double[] ga = new double[20], gb = new double[20];
        double s = v.SharedGradients(a, b, ga, gb);
        Assert.That(s, Is.GreaterThan(0.01), "the pair shares positive dimensions");
        var features = v.Features([.. a, .. b], 2);
        var z1 = new double[2 * 12];
        net.Product.Multiply(false, true, 2, 12, 20, 1.0, [.. a, .. b], net.Layers[0].Weights, 0.0, z1);
        // A ReLU unit that is off (h = 0 with its pre-activation checked below) keeps u_k = 0 in a whole neighbourhood: no kink.
        for (int k = 0; k < 2 * width; k++)
            Assert.That(hidden == "relu" && features[k] == 0 || Math.Abs(neuron.Weights[k % width] * features[k]) > 1e-4, Is.True, $"u_{k % width} away from the kink");
        if (hidden == "relu")
            for (int k = 0; k < z1.Length; k++) Assert.That(Math.Abs(z1[k] + net.Layers[0].Bias![k % 12]), Is.GreaterThan(1e-4), "ReLU pre-activation away from the kink");
        Assert.That(v.SharedScore(a, b), Is.EqualTo(s).Within(1e-15 * Math.Abs(s)));
        const double h = 1e-6;
        double scale = Math.Max(ga.Max(Math.Abs), gb.Max(Math.Abs));
        for (int image = 0; image < 2; image++)
        {
            var x = image == 0 ? a : b;
            var g = image == 0 ? ga : gb;
            for (int i = 0; i < 20; i++)
            {
                double keep = x[i];
                x[i] = keep + h;
                double plus = v.SharedScore(a, b);
                x[i] = keep - h;
                double minus = v.SharedScore(a, b);
                x[i] = keep;
                Assert.That(g[i], Is.EqualTo((plus - minus) / (2 * h)).Within(1e-7 * scale), $"image {image}, pixel {i}");
            }
        }
        Assert.That(scale, Is.GreaterThan(1e-3), "a gradient that is not zero");
    }

    /// <summary>
    /// The pairs of <see cref="SharedFeatureVisualiser.Visualise"/> against a plain loop: the drivers are the out-of-category rows
    /// with the largest responses in order, each reference is the arg max of the cosine of u = w ⊙ h over the whole category
    /// (pool 0), the similarity and score are those of the two rows, and the gradients are those of
    /// <see cref="SharedFeatureVisualiser.SharedGradients"/> (same arithmetic, compared exactly).
    /// </summary>
    [Test]
    public void PairsAreTheStrongestDriversWithTheMostSimilarReferences()
    {
        var net = SmallNetwork(new Tanh(), 9);
        var neuron = new ModelNeuron(2, Gaussian(9, 10, "w"), -0.1, 0);
        var v = new SharedFeatureVisualiser(net, neuron);
        const int n = 60;
        var images = Gaussian(n * 20, 11, "pool");
        int[] labels = [.. Enumerable.Range(0, n).Select(i => i % 3)];
        var pairs = v.Visualise(images, labels, category: 1, pairs: 3, referencePool: 0);
        var features = v.Features(images, n);
        double Response(int i) => neuron.Response(features.AsSpan(i * 9, 9));
        double[] U(int i) => [.. Enumerable.Range(0, 9).Select(k => neuron.Weights[k] * features[i * 9 + k])];
        int[] drivers = [.. Enumerable.Range(0, n).Where(i => labels[i] != 1).OrderByDescending(Response).Take(3)];
        Assert.That(pairs.Select(p => p.Driver), Is.EqualTo(drivers));
        foreach (var p in pairs)
        {
            int best = -1;
            double bestCosine = double.NegativeInfinity;
            for (int r = 0; r < n; r++)
            {
                if (labels[r] != 1) continue;
                double[] uo = U(p.Driver), ur = U(r);
                double dot = 0, no = 0, nr = 0;
                for (int k = 0; k < 9; k++) { dot += uo[k] * ur[k]; no += uo[k] * uo[k]; nr += ur[k] * ur[k]; }
                double c = dot / Math.Sqrt(no * nr);
                if (c > bestCosine) (bestCosine, best) = (c, r);
            }
            Assert.That(p.Reference, Is.EqualTo(best));
            Assert.That(p.Similarity, Is.EqualTo(bestCosine).Within(1e-12));
            double score = 0;
            for (int k = 0; k < 9; k++) score += Math.Max(U(p.Driver)[k], 0) * Math.Max(U(p.Reference)[k], 0);
            Assert.That(p.SharedScore, Is.EqualTo(score).Within(1e-12 * Math.Max(1, score)));
            double[] ga = new double[20], gb = new double[20];
            v.SharedGradients(images.AsSpan(p.Driver * 20, 20), images.AsSpan(p.Reference * 20, 20), ga, gb);
            Assert.That(p.DriverGradient, Is.EqualTo(ga));
            Assert.That(p.ReferenceGradient, Is.EqualTo(gb));
            Assert.That(p.DriverResponse, Is.EqualTo(Response(p.Driver)));
        }
    }

    /// <summary>
    /// The check, on Fashion-MNIST (Debian dataset-fashion-mnist). A 784-64-10 tanh network is trained with backprop
    /// for 2 epochs on the first 3000 training images (SGD with momentum 0.9, lr 0.01, batch 32, seed 1). The synthetic neuron
    /// is a known readout of its hidden layer, selective for category 7 (sneaker): w* = mean h over sneakers − mean h over the
    /// other categories, r* = w*·h plus Gaussian response noise of 0.2 × the SD of r* over sneakers (trial-to-trial variability).
    /// As the paper's appendix does for its simulated neurons, the model neuron is fitted (ridge 1e-3) on the noisy responses to
    /// sneakers alone (all sneakers among the 3000); on the other categories of the first 1000 test images its predictions
    /// correlate with the noiseless r* at ≥ 0.85 (the bound). Then 4 pairs (drivers from the 1000 test images,
    /// references among the 100 strongest test sneakers): in every pair, zeroing the top 10 % of pixels by heat map in both
    /// images lowers the shared score at least twice as much as zeroing a random 10 % (mean of 20 draws).
    /// Measured here: 312 sneakers fitted, generalisation correlation 0.987; the 4 drivers are ankle boots, and the top-10 %
    /// deletion lowers S by 12–15× as much as a random 10 % (drops 45–73 against 3.6–4.8, S ≈ 90).
    /// </summary>
    [Test, Category("Validation")]
    public void SyntheticSelectiveNeuronGeneralisesAndItsSalientPixelsCarryTheSharedScore()
    {
        IO.ExternalTools.RequireFashionMnist();
        var (fullTrain, fullTest) = FashionMnist.Load();
        const int trainRows = 3000, testRows = 1000, category = 7;
        var train = new Dataset("train", 784, fullTrain.Inputs[..(trainRows * 784)], fullTrain.Labels![..trainRows], 10);
        var net = new Network(784, [new LayerSpec(64, new Tanh()), new LayerSpec(10, new Identity())], MatrixProducts.CreateDefault());
        net.Initialise(1);
        var optimiser = new SgdMomentum(0.01, 0.9);
        optimiser.Prepare(net);
        var rule = new Backpropagation();
        rule.Prepare(net, 1);
        new Trainer(net, rule, optimiser, new SoftmaxCrossEntropy(), 32).Train(train, null, new TrainingOptions { Epochs = 2, BatchSize = 32, Seed = 1, Evaluate = false });

        double[] trainImages = [.. fullTrain.Inputs[..(trainRows * 784)].Select(x => (double)x)];
        double[] testImages = [.. fullTest.Inputs[..(testRows * 784)].Select(x => (double)x)];
        int[] trainLabels = fullTrain.Labels[..trainRows], testLabels = fullTest.Labels![..testRows];
        var probe = new SharedFeatureVisualiser(net, new ModelNeuron(1, new double[64], 0, 0));
        var h = probe.Features(trainImages, trainRows);
        double[] inside = new double[64], outside = new double[64];
        int nIn = 0, nOut = 0;
        for (int r = 0; r < trainRows; r++)
        {
            var row = h.AsSpan(r * 64, 64);
            if (trainLabels[r] == category) { System.Numerics.Tensors.TensorPrimitives.Add(inside, row, inside); nIn++; }
            else { System.Numerics.Tensors.TensorPrimitives.Add(outside, row, outside); nOut++; }
        }
        var known = new double[64];
        for (int k = 0; k < 64; k++) known[k] = inside[k] / nIn - outside[k] / nOut;
        double Truth(ReadOnlySpan<double> row) => System.Numerics.Tensors.TensorPrimitives.Dot(row, known);

        int[] fitRows = [.. Enumerable.Range(0, trainRows).Where(r => trainLabels[r] == category)];
        double[] clean = [.. fitRows.Select(r => Truth(h.AsSpan(r * 64, 64)))];
        double sd = MathNet.Numerics.Statistics.Statistics.StandardDeviation(clean);
        var noise = new RandomStream(1, "shared-feature-tests", "response-noise");
        double[] noisy = [.. clean.Select(c => c + 0.2 * sd * noise.NextGaussian())];
        double[] fitFeatures = [.. fitRows.SelectMany(r => h.AsSpan(r * 64, 64).ToArray())];
        var neuron = ModelNeuron.Fit(1, fitFeatures, fitRows.Length, noisy, 1e-3, net.Product);

        var visualiser = new SharedFeatureVisualiser(net, neuron);
        var ht = visualiser.Features(testImages, testRows);
        int[] others = [.. Enumerable.Range(0, testRows).Where(r => testLabels[r] != category)];
        double[] predicted = [.. others.Select(r => neuron.Response(ht.AsSpan(r * 64, 64)))];
        double[] truth = [.. others.Select(r => Truth(ht.AsSpan(r * 64, 64)))];
        double correlation = MathNet.Numerics.Statistics.Correlation.Pearson(predicted, truth);
        double selectivity = Enumerable.Range(0, testRows).Where(r => testLabels[r] == category).Average(r => Truth(ht.AsSpan(r * 64, 64))) - truth.Average();
        TestContext.Out.WriteLine($"{fitRows.Length} sneakers fitted; generalisation correlation {correlation:F4}; mean r* sneakers − others {selectivity:G4}");
        Assert.That(selectivity, Is.GreaterThan(0), "the synthetic neuron prefers its category");
        Assert.That(correlation, Is.GreaterThanOrEqualTo(0.85));

        var pairs = visualiser.Visualise(testImages, testLabels, category, pairs: 4, referencePool: 100);
        Assert.That(pairs, Has.Count.EqualTo(4));
        foreach (var p in pairs)
        {
            TestContext.Out.WriteLine($"driver {p.Driver} (category {p.DriverLabel}) ↔ reference {p.Reference}: S {p.SharedScore:G4}, top-10 % drop {p.TopDeletionDrop:G4}, random-10 % drop {p.RandomDeletionDrop:G4}, ratio {p.TopDeletionDrop / p.RandomDeletionDrop:G3}");
            Assert.That(p.DriverLabel, Is.Not.EqualTo(category));
            Assert.That(testLabels[p.Reference], Is.EqualTo(category));
            Assert.That(p.TopDeletionDrop, Is.GreaterThan(0));
            Assert.That(p.TopDeletionDrop, Is.GreaterThanOrEqualTo(2 * p.RandomDeletionDrop), $"pair {p.Driver} ↔ {p.Reference}");
        }
    }
}
