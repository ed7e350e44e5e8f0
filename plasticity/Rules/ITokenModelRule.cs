using BioSim.Plasticity.Networks.Token;

namespace BioSim.Plasticity.Rules;

/// <summary>
/// A rule that trains the image-shaped <see cref="TokenModel"/> rather than a layered network of dense layers (whose
/// <see cref="ICreditAssignmentRule.Prepare"/> it refuses with what to use instead). The contract tests over layered
/// networks leave these rules out; the token model's own tests cover them.
/// </summary>
public interface ITokenModelRule : ICreditAssignmentRule
{
    /// <summary>Sets the rule up for <paramref name="model"/>, random parts from streams keyed by <paramref name="seed"/>.</summary>
    void Prepare(TokenModel model, ulong seed);

    /// <summary>Null when the rule fits a model of shape <paramref name="spec"/>; otherwise what does not (a clause for a message).</summary>
    string? Check(TokenModelSpec spec);

    /// <summary>The keep mask of the next training iteration.</summary>
    TokenMask NextMask();

    /// <summary>Which blocks (0-based) the masks apply to.</summary>
    ReadOnlySpan<bool> Masked { get; }
}
