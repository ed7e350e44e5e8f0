using System.Reflection;
using BioSim.Engine.Plugins;
using BioSim.Plasticity;
using BioSim.Plasticity.Rules;

namespace BioSim.IO.Compare;

/// <summary>A rule from the catalogue, under a label (unique in the comparison), with options set on its public properties.</summary>
/// <param name="Name">The rule's catalogue name (the entry itself, or its "name").</param>
/// <param name="Label">"label" (the name when absent), which the results and checkpoints are keyed by.</param>
/// <param name="Options">The settings from the entry's "options" (snake_case of the property names), with their values.</param>
/// <param name="Init">null: the architecture's initial weights; otherwise this rule's own ("init" in the rule's entry, with
/// the values of <see cref="ArchitectureSpec.Init"/>; e.g. GAIT-prop from orthogonal and from Xavier-uniform weights in one
/// comparison). Its runs then start from other weights than the rest, which the summary names.</param>
/// <param name="OutputL2">null: the architecture's output_l2; otherwise this rule's (e.g. feedback alignment at λ = 0, 0.01 and 0.1
/// side by side, Song, Xu &amp; Lafferty 2021).</param>
/// <param name="Optimiser">null: the comparison's optimiser and lr; otherwise this rule's ("optimiser" and/or "lr" in the rule's
/// entry, the missing one from the comparison's), e.g. the dendritic microcircuit, whose own learning rates give the weight
/// change, with SGD at lr 1 next to backprop with momentum at lr 0.01.</param>
public sealed record RuleSpec(string Name, string Label, IReadOnlyList<(PropertyInfo Property, object? Value)> Options, InitialisationSpec? Init = null,
    double? OutputL2 = null, OptimiserSpec? Optimiser = null)
{
    /// <summary>A fresh instance of the rule with the options applied.</summary>
    public ICreditAssignmentRule Create(Catalogue catalogue)
    {
        var rule = catalogue.CreateRule(Name);
        foreach (var (property, value) in Options) property.SetValue(rule, value);
        return rule;
    }
}
