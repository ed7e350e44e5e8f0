using System.Text.Json;
using System.Text.Json.Nodes;
using BioSim.Engine.Numerics;
using BioSim.Engine.Plugins;
using BioSim.IO.Compare;
using BioSim.IO.Hdf5;
using BioSim.Plasticity.Data;
using BioSim.Plasticity.Visualisation;
using BioSim.Workflows.Compare;

namespace BioSim.Workflows.Visualise;

/// <summary>
/// <c>biosim visualize</c>: shared-feature visualisation (<see cref="SharedFeatureVisualiser"/>) of a layered network trained by
/// <c>biosim compare</c>, whichever rule trained it. The network comes from a run's checkpoint (out/checkpoints/&lt;label&gt;-seed&lt;s&gt;.h5,
/// found from the comparison folder, or named directly: the checkpoint holds the comparison file, the label and the seed).
/// The model neuron is a ridge readout of hidden layer l fitted on training images of category C only, to the network's own
/// output for C (the pre-activation z_L[C], a category-selective unit by training); its generalisation is the correlation of the
/// readout with z_L[C] on the test images of the other categories. Drivers and references come from the test set. Everything is
/// written to out/visualization.h5 (see <see cref="Write"/>).
/// </summary>
public sealed class SharedFeatureWorkflow(Catalogue catalogue, ComparisonReader reader, IMatrixProduct product)
{
    /// <summary>The HDF5 file in the output folder.</summary>
    public const string FileName = "visualization.h5";

    /// <summary>Runs the visualisation of <paramref name="request"/>.</summary>
    /// <exception cref="VisualisationInputException">A bad option or a source that cannot be visualised (the message names it and the fix).</exception>
    /// <exception cref="FileNotFoundException">The source, its curves.h5 or the run's checkpoint is missing.</exception>
    /// <exception cref="Runs.OutputExistsException">out/visualization.h5 exists and <see cref="VisualisationRequest.Overwrite"/> is not set.</exception>
    public VisualisationResult Run(VisualisationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Pairs < 1) throw new VisualisationInputException($"--pairs {request.Pairs}: at least 1 pair");
        if (request.FitImages < 2) throw new VisualisationInputException($"--fit-images {request.FitImages}: the readout needs at least 2 images");
        if (!(request.Ridge >= 0) || !double.IsFinite(request.Ridge)) throw new VisualisationInputException($"--ridge {request.Ridge}: the relative ridge must be finite and ≥ 0 (1e-3 is a good start)");
        if (request.ReferencePool < 0) throw new VisualisationInputException($"--reference-pool {request.ReferencePool}: must be ≥ 0 (0: every in-category image)");
        string outputFile = Path.Combine(request.Output, FileName);
        if (File.Exists(outputFile) && !request.Overwrite)
            throw new Runs.OutputExistsException($"{outputFile} exists: pass --force to replace it, or choose another -o folder");
        var (experiment, spec, seed, checkpoint) = Resolve(request);
        var notes = new List<string>();
        if (experiment.Architecture.Token is not null)
            throw new VisualisationInputException($"{checkpoint}: the comparison trained the token model; visualize works on the layered networks (\"architecture\" without \"type\": \"token\")");
        if (!experiment.Task.Classification)
            throw new VisualisationInputException($"{checkpoint}: the task {experiment.Task.Description} has no categories; visualize needs a classification task such as fashion-mnist");
        int side = (int)Math.Round(Math.Sqrt(experiment.Task.Inputs));
        if (side * side != experiment.Task.Inputs)
            throw new VisualisationInputException($"{checkpoint}: the task's {experiment.Task.Inputs} inputs are not a square image; visualize draws square images (fashion-mnist: 28 × 28)");
        var network = new RuleComparison(catalogue, product).CreateNetwork(experiment, seed, spec);
        var (status, epochsDone) = LoadWeights(checkpoint, experiment, network);
        if (RunStatus.Parse(status).Diverged)
            throw new VisualisationInputException($"{checkpoint}: the run {status}; its weights are not a trained network. Visualise another rule or seed");
        if (status != "completed") notes.Add($"{checkpoint}: the run's status is '{status}' (after {epochsDone} of {experiment.Epochs} epochs): visualising the weights it holds");
        int hidden = network.Layers.Count - 1;
        if (hidden < 1)
            throw new VisualisationInputException($"{checkpoint}: the network {experiment.Architecture.Describe(experiment.Task.Inputs)} has no hidden layer to read a model neuron from");
        if (request.Layer < 1 || request.Layer > hidden)
            throw new VisualisationInputException($"--layer {request.Layer}: the network {experiment.Architecture.Describe(experiment.Task.Inputs)} has hidden layers 1 … {hidden}");
        if (request.Category < 0 || request.Category >= network.OutputSize)
            throw new VisualisationInputException($"--category {request.Category}: {experiment.Task.Description} has categories 0 … {network.OutputSize - 1}");

        var (train, test) = catalogue.LoadTask(experiment.Task);
        int pixels = network.InputSize, width = network.Layers[request.Layer - 1].Outputs, outputs = network.OutputSize;
        // The model neuron: the readout of layer l fitted to z_L[C] on the first FitImages training images of category C.
        int[] fitRows = [.. Enumerable.Range(0, train.Count).Where(i => train.Labels![i] == request.Category).Take(request.FitImages)];
        if (fitRows.Length < 2) throw new VisualisationInputException($"--category {request.Category}: the training set holds {fitRows.Length} images of it; the readout needs at least 2");
        double[] fitImages = Rows(train, fitRows);
        var probe = new SharedFeatureVisualiser(network, new ModelNeuron(request.Layer, new double[width], 0, request.Ridge));
        double[] fitOutputs = new double[fitRows.Length * outputs];
        double[] fitFeatures = probe.Features(fitImages, fitRows.Length, fitOutputs);
        double[] target = Column(fitOutputs, outputs, request.Category);
        ModelNeuron neuron;
        try
        {
            neuron = ModelNeuron.Fit(request.Layer, fitFeatures, fitRows.Length, target, request.Ridge, product);
        }
        catch (ArgumentException e)
        {
            throw new VisualisationInputException($"--ridge {request.Ridge}: {e.Message.Split(" (Parameter")[0]}");
        }
        var visualiser = new SharedFeatureVisualiser(network, neuron);
        double fitCorrelation = Correlation(Responses(neuron, fitFeatures, fitRows.Length), target);

        int[] testRows = [.. Enumerable.Range(0, test.Count)];
        double[] testImages = Rows(test, testRows);
        double[] testOutputs = new double[test.Count * outputs];
        double[] testFeatures = visualiser.Features(testImages, test.Count, testOutputs);
        double[] testResponses = Responses(neuron, testFeatures, test.Count);
        double[] testTarget = Column(testOutputs, outputs, request.Category);
        int[] others = [.. testRows.Where(i => test.Labels![i] != request.Category)];
        double generalisation = Correlation([.. others.Select(i => testResponses[i])], [.. others.Select(i => testTarget[i])]);

        var pairs = visualiser.Visualise(testImages, test.Labels!, request.Category, request.Pairs, request.ReferencePool,
            request.DeletionFraction, request.RandomDraws, seed);
        var result = new VisualisationResult(outputFile, checkpoint, spec.Label, spec.Name, seed, request.Layer, request.Category, side, neuron,
            fitRows.Length, fitCorrelation, generalisation, pairs, testImages, notes);
        Directory.CreateDirectory(request.Output);
        if (File.Exists(outputFile)) File.Delete(outputFile);
        Write(result, experiment, request, testTarget, testResponses, test.Labels!);
        return result;
    }

    /// <summary>
    /// out/visualization.h5: attributes (source checkpoint, rule, label, seed, layer, category, ridge, image_side, method,
    /// matrix_product, biosim_version); /neuron/weights [width] with @bias, @layer, @fit_images, @fit_correlation and
    /// @generalisation_correlation; /test/{response, target, label} [test images]: the readout's response, z_L[C] and the label of
    /// every test image; /pairs/{driver_index, reference_index, driver_label, driver_response, reference_response, similarity,
    /// shared_score, deletion_top_drop, deletion_random_drop} [pairs] and /pairs/{driver_image, reference_image, driver_gradient,
    /// reference_gradient, driver_saliency, reference_saliency} [pairs × pixels] (rows of side × side images, row-major).
    /// </summary>
    private void Write(VisualisationResult result, ComparisonExperiment experiment, VisualisationRequest request, double[] target, double[] responses, int[] labels)
    {
        using var file = Hdf5File.Create(result.File);
        file.SetAttribute("source", result.Checkpoint);
        file.SetAttribute("experiment", experiment.Json);
        file.SetAttribute("rule", result.Rule);
        file.SetAttribute("label", result.Label);
        file.SetAttribute("seed", (long)result.Seed);
        file.SetAttribute("layer", (long)result.Layer);
        file.SetAttribute("category", (long)result.Category);
        file.SetAttribute("ridge", request.Ridge);
        file.SetAttribute("image_side", (long)result.ImageSide);
        file.SetAttribute("deletion_fraction", request.DeletionFraction);
        file.SetAttribute("random_draws", (long)request.RandomDraws);
        file.SetAttribute("reference_pool", (long)request.ReferencePool);
        file.SetAttribute("method", "Lappe et al. (NeurIPS 2024) shared-feature visualisation: model neuron r = b + w·h_l fitted by ridge regression "
            + "to z_L[category] on training images of the category only; pattern u = w ⊙ h_l; reference = arg max cos(u_driver, u_ref) over the "
            + "strongest in-category test images; shared score S = Σ_k [u_k(a)]₊[u_k(b)]₊; gradients ∂S/∂x of both images by one backward pass "
            + "of the pair; saliency = gradient ⊙ image");
        file.SetAttribute("matrix_product", product.Name);
        file.SetAttribute("biosim_version", typeof(SharedFeatureWorkflow).Assembly.GetName().Version?.ToString() ?? "?");
        using (var neuron = file.CreateGroup("neuron"))
        {
            neuron.WriteDataset<double>("weights", result.Neuron.Weights);
            neuron.SetAttribute("bias", result.Neuron.Bias);
            neuron.SetAttribute("layer", (long)result.Layer);
            neuron.SetAttribute("fit_images", (long)result.FitImages);
            neuron.SetAttribute("fit_correlation", result.FitCorrelation);
            neuron.SetAttribute("generalisation_correlation", result.GeneralisationCorrelation);
            neuron.SetAttribute("target", $"z_L[{result.Category}], the output layer's pre-activation for the category");
        }
        using (var test = file.CreateGroup("test"))
        {
            test.WriteDataset<double>("response", responses);
            test.WriteDataset<double>("target", target);
            test.WriteDataset<long>("label", [.. labels.Select(l => (long)l)]);
        }
        using var pairs = file.CreateGroup("pairs");
        var list = result.Pairs;
        pairs.WriteDataset<long>("driver_index", [.. list.Select(p => (long)p.Driver)]);
        pairs.WriteDataset<long>("reference_index", [.. list.Select(p => (long)p.Reference)]);
        pairs.WriteDataset<long>("driver_label", [.. list.Select(p => (long)p.DriverLabel)]);
        pairs.WriteDataset<double>("driver_response", [.. list.Select(p => p.DriverResponse)]);
        pairs.WriteDataset<double>("reference_response", [.. list.Select(p => p.ReferenceResponse)]);
        pairs.WriteDataset<double>("similarity", [.. list.Select(p => p.Similarity)]);
        pairs.WriteDataset<double>("shared_score", [.. list.Select(p => p.SharedScore)]);
        pairs.WriteDataset<double>("deletion_top_drop", [.. list.Select(p => p.TopDeletionDrop)]);
        pairs.WriteDataset<double>("deletion_random_drop", [.. list.Select(p => p.RandomDeletionDrop)]);
        int pixels = result.ImageSide * result.ImageSide;
        Matrix(pairs, "driver_image", [.. list.Select(p => result.Image(p.Driver))], pixels);
        Matrix(pairs, "reference_image", [.. list.Select(p => result.Image(p.Reference))], pixels);
        Matrix(pairs, "driver_gradient", [.. list.Select(p => p.DriverGradient)], pixels);
        Matrix(pairs, "reference_gradient", [.. list.Select(p => p.ReferenceGradient)], pixels);
        Matrix(pairs, "driver_saliency", [.. list.Select(p => p.DriverSaliency)], pixels);
        Matrix(pairs, "reference_saliency", [.. list.Select(p => p.ReferenceSaliency)], pixels);
        file.Flush();
    }

    private static void Matrix(Hdf5Group group, string name, double[][] rows, int columns)
    {
        using var data = group.CreateAppendable<double>(name, columns);
        if (rows.Length > 0) data.AppendRows(rows.SelectMany(r => r).ToArray(), rows.Length);
    }

    /// <summary>The comparison, rule, seed and checkpoint of the request's source (a comparison folder or a checkpoint file).</summary>
    private (ComparisonExperiment Experiment, RuleSpec Rule, ulong Seed, string Checkpoint) Resolve(VisualisationRequest request)
    {
        string source = request.Source;
        if (Directory.Exists(source))
        {
            string curves = Path.Combine(source, RuleComparison.CurvesFileName);
            if (!File.Exists(curves))
                throw new FileNotFoundException($"{source}: no {RuleComparison.CurvesFileName}: not an output folder of biosim compare (run biosim compare FILE -o {source} first, or give a checkpoint .h5)", curves);
            string json;
            using (var file = Hdf5File.OpenReadOnly(curves))
            {
                if (!file.HasAttribute("experiment")) throw new VisualisationInputException($"{curves}: no 'experiment' attribute: not written by biosim compare");
                json = file.GetStringAttribute("experiment");
            }
            var experiment = reader.Read(json, curves);
            var rule = ChooseRule(experiment, request.Rule, curves);
            ulong seed = request.Seed ?? experiment.Seeds[0];
            if (!experiment.Seeds.Contains(seed))
                throw new VisualisationInputException($"--seed {seed}: the comparison in {source} ran seeds {string.Join(", ", experiment.Seeds)}");
            string checkpoint = RuleComparison.CheckpointPath(source, rule.Label, seed);
            if (!File.Exists(checkpoint))
                throw new FileNotFoundException($"{checkpoint}: no such checkpoint: the run of {rule.Label} with seed {seed} has not written one yet (continue the comparison with biosim compare FILE -o {source} --resume)", checkpoint);
            return (experiment, rule, seed, checkpoint);
        }
        if (!File.Exists(source))
            throw new FileNotFoundException($"{source}: no such file or folder: give the output folder of biosim compare or one of its checkpoints/*.h5", source);
        using (var file = Hdf5File.OpenReadOnly(source))
        {
            foreach (string attribute in new[] { "experiment", "label", "seed" })
            {
                if (!file.HasAttribute(attribute))
                    throw new VisualisationInputException($"{source}: no '{attribute}' attribute: not a checkpoint of biosim compare (give the comparison's output folder or one of its checkpoints/*.h5)");
            }
            // The checkpoint holds the comparison file without "epochs" (which resuming may change): any count reads it back.
            var node = JsonNode.Parse(file.GetStringAttribute("experiment"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
            node["epochs"] = 1;
            var experiment = reader.Read(node.ToJsonString(), source);
            string label = file.GetStringAttribute("label");
            ulong seed = (ulong)file.GetLongAttribute("seed");
            if (request.Rule is { } wanted && wanted != label)
                throw new VisualisationInputException($"--rule {wanted}: {source} holds the run of '{label}' (seed {seed}); drop --rule or give that rule's checkpoint");
            if (request.Seed is { } s && s != seed)
                throw new VisualisationInputException($"--seed {s}: {source} holds the run of seed {seed}; drop --seed or give that seed's checkpoint");
            var rule = experiment.Rules.FirstOrDefault(r => r.Label == label)
                ?? throw new VisualisationInputException($"{source}: its label '{label}' is not a rule of the comparison it holds");
            return (experiment, rule, seed, source);
        }
    }

    /// <summary>
    /// Reads the network's weights (/reals/network/W&lt;l&gt; and b&lt;l&gt;, <see cref="ComparisonCheckpoint"/>'s layout) into
    /// <paramref name="network"/>; returns the run's @status and @epoch. Unlike resuming, a checkpoint written by another BioSim
    /// build is accepted: visualising reads trained weights, it does not continue a run bit for bit. The checkpoint must
    /// come from the same comparison (its fingerprint).
    /// </summary>
    private static (string Status, long Epochs) LoadWeights(string checkpoint, ComparisonExperiment experiment, Plasticity.Networks.Network network)
    {
        using var file = Hdf5File.OpenReadOnly(checkpoint);
        if (!file.HasAttribute("experiment") || file.GetStringAttribute("experiment") != ComparisonCheckpoint.Fingerprint(experiment.Json))
            throw new VisualisationInputException($"{checkpoint}: written by a different comparison than {experiment.File}; give the comparison's own output folder");
        foreach (var layer in network.Layers)
        {
            Read(file, $"reals/network/W{layer.Index}", layer.Weights, checkpoint);
            if (layer.Bias is { } b) Read(file, $"reals/network/b{layer.Index}", b, checkpoint);
        }
        return (file.GetStringAttribute("status"), file.GetLongAttribute("epoch"));
    }

    private static void Read(Hdf5File file, string path, double[] destination, string checkpoint)
    {
        if (!file.Exists(path)) throw new VisualisationInputException($"{checkpoint}: no /{path}: not a checkpoint of a layered network of this comparison");
        double[] values = file.ReadDataset<double>(path);
        if (values.Length != destination.Length)
            throw new VisualisationInputException($"{checkpoint}: /{path} holds {values.Length} values but the comparison's network needs {destination.Length}");
        values.CopyTo(destination, 0);
    }

    private static RuleSpec ChooseRule(ComparisonExperiment experiment, string? wanted, string curves)
    {
        string labels = string.Join(", ", experiment.Rules.Select(r => r.Label));
        if (wanted is null)
        {
            return experiment.Rules.Count == 1
                ? experiment.Rules[0]
                : throw new VisualisationInputException($"--rule: {curves} holds {experiment.Rules.Count} rules; name one with --rule ({labels})");
        }
        return experiment.Rules.FirstOrDefault(r => r.Label == wanted) ?? experiment.Rules.FirstOrDefault(r => r.Name == wanted)
            ?? throw new VisualisationInputException($"--rule {wanted}: not a rule of the comparison in {curves}; its rules are {labels}");
    }

    private static double[] Rows(Dataset data, int[] rows)
    {
        int p = data.InputSize;
        var images = new double[rows.Length * p];
        for (int r = 0; r < rows.Length; r++)
        {
            var source = data.Inputs.AsSpan(rows[r] * p, p);
            for (int i = 0; i < p; i++) images[r * p + i] = source[i];
        }
        return images;
    }

    private static double[] Column(double[] matrix, int columns, int column)
    {
        var values = new double[matrix.Length / columns];
        for (int r = 0; r < values.Length; r++) values[r] = matrix[r * columns + column];
        return values;
    }

    private static double[] Responses(ModelNeuron neuron, double[] features, int rows)
    {
        var r = new double[rows];
        for (int i = 0; i < rows; i++) r[i] = neuron.Response(features.AsSpan(i * neuron.Width, neuron.Width));
        return r;
    }

    /// <summary>Pearson's correlation of two equally long samples (NaN when one is constant).</summary>
    public static double Correlation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        return MathNet.Numerics.Statistics.Correlation.Pearson(x, y);
    }
}

/// <summary>What <c>biosim visualize</c> asks for.</summary>
/// <param name="Source">the output folder of <c>biosim compare</c>, or one of its checkpoints/*.h5.</param>
/// <param name="Output">the folder to write visualization.h5 (and the CLI's PNGs) to.</param>
/// <param name="Layer">l: the hidden layer the model neuron reads (1 … L−1).</param>
/// <param name="Category">C: the category the readout is fitted on (0 … classes − 1).</param>
public sealed record VisualisationRequest(string Source, string Output, int Layer, int Category)
{
    /// <summary>The rule's label (or catalogue name) in the comparison; needed when it compared several rules.</summary>
    public string? Rule { get; init; }

    /// <summary>The run's seed (default: the comparison's first).</summary>
    public ulong? Seed { get; init; }

    /// <summary>Driver-reference pairs to visualise (4).</summary>
    public int Pairs { get; init; } = 4;

    /// <summary>Relative ridge of the readout fit (1e-3; see <see cref="ModelNeuron"/>).</summary>
    public double Ridge { get; init; } = 1e-3;

    /// <summary>Training images of the category the readout is fitted on (the first ones; 2000).</summary>
    public int FitImages { get; init; } = 2000;

    /// <summary>References are chosen among this many in-category test images with the largest response (100; 0: all).</summary>
    public int ReferencePool { get; init; } = 100;

    /// <summary>Fraction of pixels zeroed by the deletion test (0.1).</summary>
    public double DeletionFraction { get; init; } = 0.1;

    /// <summary>Random deletions averaged per pair (20).</summary>
    public int RandomDraws { get; init; } = 20;

    /// <summary>Replace an existing visualization.h5.</summary>
    public bool Overwrite { get; init; }
}

/// <summary>The result of a visualisation: the model neuron, how well it fits and generalises, and the pairs.</summary>
/// <param name="File">the HDF5 file written.</param>
/// <param name="Checkpoint">the checkpoint the network came from.</param>
/// <param name="Label">the rule's label.</param>
/// <param name="Rule">the rule's catalogue name.</param>
/// <param name="Seed">the run's seed.</param>
/// <param name="Layer">the layer read.</param>
/// <param name="Category">the category.</param>
/// <param name="ImageSide">pixels per image side.</param>
/// <param name="Neuron">the fitted readout.</param>
/// <param name="FitImages">images it was fitted on.</param>
/// <param name="FitCorrelation">its correlation with z_L[C] on the fitting images.</param>
/// <param name="GeneralisationCorrelation">its correlation with z_L[C] on the test images of the other categories.</param>
/// <param name="Pairs">the visualised pairs (rows of the test set).</param>
/// <param name="TestImages">the test images (rows of ImageSide² values).</param>
/// <param name="Notes">warnings for the user (a run that had not completed).</param>
public sealed record VisualisationResult(string File, string Checkpoint, string Label, string Rule, ulong Seed, int Layer, int Category, int ImageSide,
    ModelNeuron Neuron, int FitImages, double FitCorrelation, double GeneralisationCorrelation, IReadOnlyList<SharedFeaturePair> Pairs, double[] TestImages,
    IReadOnlyList<string> Notes)
{
    /// <summary>Test image <paramref name="row"/>.</summary>
    public double[] Image(int row) => TestImages.AsSpan(row * ImageSide * ImageSide, ImageSide * ImageSide).ToArray();
}

/// <summary>A bad option or a source that cannot be visualised; the message names the option or file and the fix.</summary>
public sealed class VisualisationInputException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public VisualisationInputException(string message) : base(message)
    {
    }

    /// <summary>An exception with no message.</summary>
    public VisualisationInputException()
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="inner"/>.</summary>
    public VisualisationInputException(string message, Exception inner) : base(message, inner)
    {
    }
}
