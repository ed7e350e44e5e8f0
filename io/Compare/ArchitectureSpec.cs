using BioSim.Engine.Plugins;
using BioSim.Plasticity;
using BioSim.Plasticity.Networks;

namespace BioSim.IO.Compare;

/// <summary>Layer sizes above the input, hidden and output activations, bias, initial-weight law and loss.</summary>
/// <param name="Layers">"layers": the sizes of the layers above the input, the last one the output layer.</param>
/// <param name="Activation">"activation": the hidden layers' activation, by catalogue name ("tanh").</param>
/// <param name="OutputActivation">"output_activation": the output layer's activation, by catalogue name ("identity").</param>
/// <param name="Bias">"bias": whether every layer has a bias b (true).</param>
/// <param name="Init">"init": the initialisation, by catalogue name ("pytorch", the default; "orthogonal": random orthogonal W,
/// b = 0, square layers only, as GAIT-prop's published runs start; "xavier-uniform": W ~ U[±√(6/(n_in + n_out))], b = 0, the
/// correlative infomax code's start), or a law of every W (b = 0), which is the "distribution" initialisation.</param>
/// <param name="Loss">"loss": the loss, by catalogue name ("softmax-cross-entropy" for Fashion-MNIST, "mse" otherwise).</param>
/// <param name="TaskOutputs">With mse, the output units that have targets (the first ones) when the output layer is wider than the
/// task; the others are auxiliary units whose target is their own activity (GAIT-prop's square output layer). Null: all.</param>
/// <param name="OutputScale">the fixed factor s on the output layer's W h (1; 1/√p for the mean-field two-layer nets of Song, Xu &amp; Lafferty 2021).</param>
/// <param name="OutputL2">λ of the penalty (λ/2)‖W_L‖² on the output layer's weights (0), whose gradient λW_L every rule adds to its update.</param>
public sealed record ArchitectureSpec(IReadOnlyList<int> Layers, string Activation, string OutputActivation, bool Bias, InitialisationSpec Init, string Loss,
    int? TaskOutputs = null, double OutputScale = 1.0, double OutputL2 = 0.0)
{
    /// <summary>With "type": "token": the image-shaped token model every rule trains instead of the dense layers (then
    /// <see cref="Layers"/> is the classifier's width only); null for a layered network.</summary>
    public Plasticity.Networks.Token.TokenModelSpec? Token { get; init; }

    /// <summary>The network in words for logs and summaries: "784-256-10 tanh", or the token model's shape.</summary>
    public string Describe(int inputs) => Token is { } t
        ? $"token model ({t.ImageSide}×{t.ImageSide} images in {t.GridSide}×{t.GridSide} tokens of {t.PatchSide}×{t.PatchSide} pixels, width {t.Width}, {t.Blocks} blocks, MLP {t.Hidden}, {t.Classes} classes)"
        : $"{inputs}-{string.Join("-", Layers)} {Activation}";

    /// <summary>The layers above the input with their activations from <paramref name="catalogue"/>.</summary>
    public IReadOnlyList<LayerSpec> LayerSpecs(Catalogue catalogue) =>
        [.. Layers.Select((size, i) => i == Layers.Count - 1
            ? new LayerSpec(size, catalogue.CreateActivation(OutputActivation), Bias, OutputScale, OutputL2)
            : new LayerSpec(size, catalogue.CreateActivation(Activation), Bias))];

    /// <summary>The loss from <paramref name="catalogue"/>, with targets for the first <see cref="TaskOutputs"/> units only when set.</summary>
    public ILoss CreateLoss(Catalogue catalogue)
    {
        var loss = catalogue.CreateLoss(Loss);
        return TaskOutputs is { } k ? loss.WithTaskOutputs(k) ?? throw new InvalidOperationException($"The loss '{Loss}' has no auxiliary output units.") : loss;
    }
}
