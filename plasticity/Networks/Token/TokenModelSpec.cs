namespace BioSim.Plasticity.Networks.Token;

/// <summary>
/// Shape of a small ConvNeXt-like token model (Liu et al. 2022, shrunk): square images of <see cref="ImageSide"/>² pixels
/// cut into non-overlapping <see cref="PatchSide"/>² patches, each embedded as one token of <see cref="Width"/> channels
/// (patch embedding = a linear map of the patch, then LayerNorm), <see cref="Blocks"/> residual blocks
/// x + W₂ GELU(W₁ LN(dwconv₃ₓ₃(x))) with hidden width <see cref="Expansion"/>·Width, then global average pooling over the
/// tokens, LayerNorm and a linear classifier onto <see cref="Classes"/> logits.
/// </summary>
/// <param name="ImageSide">pixels per image side (28 for Fashion-MNIST).</param>
/// <param name="PatchSide">pixels per patch side (4: a 7 × 7 token grid).</param>
/// <param name="Width">channels per token (48).</param>
/// <param name="Blocks">residual blocks (4).</param>
/// <param name="Classes">logits (10).</param>
/// <param name="Expansion">hidden width of the blocks' per-token MLP in units of Width (4).</param>
/// <param name="Epsilon">ε of every LayerNorm (1e-6, as ConvNeXt).</param>
public sealed record TokenModelSpec(int ImageSide = 28, int PatchSide = 4, int Width = 48, int Blocks = 4, int Classes = 10, int Expansion = 4,
    double Epsilon = 1e-6)
{
    /// <summary>Tokens per grid side.</summary>
    public int GridSide => ImageSide / PatchSide;

    /// <summary>Tokens per image, N = GridSide².</summary>
    public int Tokens => GridSide * GridSide;

    /// <summary>Pixels per patch.</summary>
    public int PatchSize => PatchSide * PatchSide;

    /// <summary>Pixels per image (the model's input width).</summary>
    public int InputSize => ImageSide * ImageSide;

    /// <summary>Hidden width of a block's MLP.</summary>
    public int Hidden => Expansion * Width;

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        if (PatchSide < 1 || ImageSide < PatchSide || ImageSide % PatchSide != 0)
            throw new ArgumentException($"The token model's patch side {PatchSide} must divide the image side {ImageSide} (e.g. 4 for 28 × 28 images).");
        if (Width < 1) throw new ArgumentException($"The token model's width must be positive (got {Width}).");
        if (Blocks < 1) throw new ArgumentException($"The token model needs at least one block (got {Blocks}).");
        if (Classes < 2) throw new ArgumentException($"The token model needs at least two classes (got {Classes}).");
        if (Expansion < 1) throw new ArgumentException($"The token model's expansion must be positive (got {Expansion}).");
        if (!(Epsilon > 0)) throw new ArgumentException($"The token model's LayerNorm ε must be positive (got {Epsilon}).");
    }
}
