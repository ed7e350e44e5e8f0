namespace BioSim.Plasticity.Rules;

/// <summary>
/// Optional, for rules that send the error to layer l − 1 through a fixed matrix B_l in place of W_lᵀ, the transpose of
/// the forward weights above it (feedback alignment). Lets a comparison measure how far the forward weights have turned
/// towards the feedback, cos∠(B_l, W_lᵀ) (Lillicrap et al. 2016; Song, Xu &amp; Lafferty 2021).
/// </summary>
public interface IFeedbackMatrixRule
{
    /// <summary>B_l for l = 2 … L at index l − 2, stored n_{l−1} × n_l row-major (the shape of W_lᵀ).</summary>
    IReadOnlyList<double[]> FeedbackWeights { get; }
}
