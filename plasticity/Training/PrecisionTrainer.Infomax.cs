using BioSim.Plasticity.Networks;
using BioSim.Plasticity.Rules;

namespace BioSim.Plasticity.Training;

/// <summary>
/// Correlative infomax (<see cref="CorrelativeInfomax"/>) in <typeparamref name="T"/>: the free and nudged Gauss-Seidel settling,
/// the forward, backward and lateral updates and the settled prediction, operation for operation as the float64 rule (so with
/// T = double the same bits), on flat <typeparamref name="T"/> arrays through the one matrix product. The rule object keeps
/// what is not arithmetic: its parameters, the β-sign stream and step count (<see cref="CorrelativeInfomax.NextBeta"/>, so
/// both precisions draw the same signs), and its rate scale; its W^b and B are pulled to <typeparamref name="T"/> once and
/// pushed back (exactly) with the weights.
/// </summary>
public sealed partial class PrecisionTrainer<T>
{
    /// <summary>The rule's state and the settling buffers in <typeparamref name="T"/>; layer l at index l − 1 (W^b_l at l − 2).</summary>
    private sealed class InfomaxState
    {
        public required CorrelativeInfomax Rule { get; init; }
        public required T[][] Feedback { get; init; }
        public required T[][] Lateral { get; init; }
        public required T[][] UFree { get; init; }
        public required T[][] HFree { get; init; }
        public required T[][] UNudged { get; init; }
        public required T[][] HNudged { get; init; }
        public required T[][] Drive { get; init; }
        public required T[][] Scratch { get; init; }
        public required T[] Basal1 { get; init; }
    }

    private readonly InfomaxState? _infomax;

    private static InfomaxState CreateInfomax(CorrelativeInfomax rule, Network network, int maxBatch)
    {
        int L = network.Layers.Count;
        if (rule.LateralWeights.Count != L)
            throw new InvalidOperationException("Call rule.Prepare(network) before creating the trainer.");
        T[][] Rows() => [.. network.Layers.Select(l => new T[maxBatch * l.Outputs])];
        return new InfomaxState
        {
            Rule = rule,
            Feedback = [.. rule.FeedbackWeights.Select(w => new T[w.Length])],
            Lateral = [.. rule.LateralWeights.Select(b => new T[b.Length])],
            UFree = Rows(), HFree = Rows(), UNudged = Rows(), HNudged = Rows(), Drive = Rows(), Scratch = Rows(),
            Basal1 = new T[maxBatch * network.Layers[0].Outputs],
        };
    }

    private static void PullInfomax(InfomaxState s)
    {
        for (int i = 0; i < s.Feedback.Length; i++) Convert<double, T>(s.Rule.FeedbackWeights[i], s.Feedback[i]);
        for (int i = 0; i < s.Lateral.Length; i++) Convert<double, T>(s.Rule.LateralWeights[i], s.Lateral[i]);
    }

    private static void PushInfomax(InfomaxState s)
    {
        for (int i = 0; i < s.Feedback.Length; i++) Convert<T, double>(s.Feedback[i], s.Rule.FeedbackWeights[i]);
        for (int i = 0; i < s.Lateral.Length; i++) Convert<T, double>(s.Lateral[i], s.Rule.LateralWeights[i]);
    }

    /// <summary>
    /// The rule's updates for this minibatch (<see cref="CorrelativeInfomax.ComputeUpdates"/>, operation for operation): free
    /// phase from u = h = 0, nudged phase from the free rates, then ΔW_l, Δb_l into the gradient buffers (the optimiser applies
    /// them) and W^b_l, B_l updated in place.
    /// </summary>
    private void InfomaxUpdates(InfomaxState s, ReadOnlySpan<T> y, int batch)
    {
        var rule = s.Rule;
        var product = Trainer.Network.Product;
        int L = _layers;
        ReadOnlySpan<T> x = _h[0].AsSpan(0, batch * _width[0]);
        y = y[..(batch * _width[L])];
        double beta = rule.NextBeta();
        for (int l = 0; l < L; l++)
        {
            int count = batch * _width[l + 1];
            s.UFree[l].AsSpan(0, count).Clear();
            s.HFree[l].AsSpan(0, count).Clear();
        }
        Settle(s, x, batch, s.UFree, s.HFree, rule.FreeIterations, 0.0, y);
        for (int l = 0; l < L; l++)
        {
            int count = batch * _width[l + 1];
            s.HFree[l].AsSpan(0, count).CopyTo(s.UNudged[l]);
            s.HFree[l].AsSpan(0, count).CopyTo(s.HNudged[l]);
        }
        Settle(s, x, batch, s.UNudged, s.HNudged, rule.NudgedIterations, beta, y);

        // Forward weights: ΔW_l = c (E_freeᵀ H_{l−1,free} − E_nudgedᵀ H_{l−1,nudged}) + λ₂ W_l, c = ρ_l s / (β B).
        for (int l = 1; l <= L; l++)
        {
            int n = _width[l], m = _width[l - 1], count = batch * n;
            T c = T.CreateChecked(rule.ForwardRate(l) * rule.RateScale / (beta * batch));
            ReadOnlySpan<T> prevFree = l == 1 ? x : s.HFree[l - 2].AsSpan(0, batch * m);
            ReadOnlySpan<T> prevNudged = l == 1 ? x : s.HNudged[l - 2].AsSpan(0, batch * m);
            Span<T> eFree = s.Drive[l - 1].AsSpan(0, count), eNudged = s.Scratch[l - 1].AsSpan(0, count);
            ForwardError(l, prevFree, s.HFree[l - 1], batch, eFree);
            ForwardError(l, prevNudged, s.HNudged[l - 1], batch, eNudged);
            if (_l2[l] != T.Zero) _w[l].CopyTo(_gw[l], 0);
            Multiply(product, true, false, n, m, batch, c, eFree, prevFree, _l2[l], _gw[l]);
            Multiply(product, true, false, n, m, batch, -c, eNudged, prevNudged, T.One, _gw[l]);
            if (_gb[l] is { } gb)
            {
                gb.AsSpan().Clear();
                for (int r = 0; r < batch; r++)
                {
                    ReadOnlySpan<T> ef = eFree.Slice(r * n, n), en = eNudged.Slice(r * n, n);
                    for (int j = 0; j < n; j++) gb[j] += ef[j] - en[j];
                }
                for (int j = 0; j < n; j++) gb[j] *= c;
            }
        }

        // Backward weights: W^b_l ← W^b_l − c^b (E^b_freeᵀ H_{l,free} − E^b_nudgedᵀ H_{l,nudged}), both errors from the old W^b_l.
        for (int l = 2; l <= L; l++)
        {
            int below = _width[l - 1], n = _width[l], count = batch * below;
            T c = T.CreateChecked(rule.FeedbackRate(l) * rule.RateScale / (beta * batch));
            T[] wb = s.Feedback[l - 2];
            Span<T> eFree = s.Drive[l - 2].AsSpan(0, count), eNudged = s.Scratch[l - 2].AsSpan(0, count);
            ReadOnlySpan<T> hFree = s.HFree[l - 1].AsSpan(0, batch * n), hNudged = s.HNudged[l - 1].AsSpan(0, batch * n);
            s.HFree[l - 2].AsSpan(0, count).CopyTo(eFree);
            Multiply(product, false, true, batch, below, n, -T.One, hFree, wb, T.One, eFree);
            s.HNudged[l - 2].AsSpan(0, count).CopyTo(eNudged);
            Multiply(product, false, true, batch, below, n, -T.One, hNudged, wb, T.One, eNudged);
            Multiply(product, true, false, below, n, batch, -c, eFree, hFree, T.One, wb);
            Multiply(product, true, false, below, n, batch, c, eNudged, hNudged, T.One, wb);
        }

        // Lateral weights: B_l ← B_l/λ − γ/(λ B) Zᵀ Z with Z = H_nudged B_lᵀ.
        double lambda = rule.Lambda, gamma = (1 - lambda) / lambda;
        T shrink = T.CreateChecked(-gamma / (lambda * batch)), grow = T.CreateChecked(1.0 / lambda);
        for (int l = 1; l <= L; l++)
        {
            int n = _width[l], count = batch * n;
            T[] b = s.Lateral[l - 1];
            Span<T> z = s.Scratch[l - 1].AsSpan(0, count);
            Multiply(product, false, true, batch, n, n, T.One, s.HNudged[l - 1].AsSpan(0, count), b, T.Zero, z);
            Multiply(product, true, false, n, n, batch, shrink, z, z, grow, b);
        }
    }

    /// <summary>Prediction (<see cref="CorrelativeInfomax.Infer"/>): the free phase from u = h = 0 on the inputs in _h[0]; u into
    /// _z and the rates into _h of every layer, where the loss and the arg-max read them.</summary>
    private void InfomaxInfer(InfomaxState s, int batch)
    {
        for (int l = 0; l < _layers; l++)
        {
            int count = batch * _width[l + 1];
            s.UFree[l].AsSpan(0, count).Clear();
            s.HFree[l].AsSpan(0, count).Clear();
        }
        Settle(s, _h[0].AsSpan(0, batch * _width[0]), batch, s.UFree, s.HFree, s.Rule.FreeIterations, 0.0, default);
        for (int l = 1; l <= _layers; l++)
        {
            int count = batch * _width[l];
            s.UFree[l - 1].AsSpan(0, count).CopyTo(_z[l]);
            s.HFree[l - 1].AsSpan(0, count).CopyTo(_h[l]);
        }
    }

    /// <summary><paramref name="iterations"/> Gauss-Seidel sweeps of the neural dynamics (CorrelativeInfomax.Settle, in its
    /// order of operations; the constants are formed in double and rounded once).</summary>
    private void Settle(InfomaxState s, ReadOnlySpan<T> x, int batch, T[][] u, T[][] h, int iterations, double beta, ReadOnlySpan<T> y)
    {
        var rule = s.Rule;
        var product = Trainer.Network.Product;
        int L = _layers;
        double eps = rule.Epsilon, invD = 1.0 / eps, gD = rule.Leak, gammaD = (1 - rule.Lambda) / rule.Lambda;
        T inv = T.CreateChecked(invD), g = T.CreateChecked(gD), b = T.CreateChecked(beta);
        T lateralHidden = T.CreateChecked(2 * gammaD), lateralOutput = T.CreateChecked(gammaD);
        T decayHidden = T.CreateChecked(gD + 2 * invD), decayOutput = T.CreateChecked(gD + invD + 1.0);

        // Layer 1's basal drive (W₁x + b₁)/ε does not change during a phase: computed once.
        Span<T> basal1 = s.Basal1.AsSpan(0, batch * _width[1]);
        BasalDrive(1, x, batch, inv, basal1);

        for (int k = 0; k < iterations; k++)
        {
            T eta = T.CreateChecked(Math.Max(rule.NeuralRate / (k * rule.NeuralRateDecay + 1.0), rule.NeuralRateFloor));
            for (int l = 1; l <= L; l++)
            {
                int n = _width[l], count = batch * n;
                Span<T> drive = s.Drive[l - 1].AsSpan(0, count);
                Span<T> ul = u[l - 1].AsSpan(0, count), hl = h[l - 1].AsSpan(0, count);
                if (l == 1) basal1.CopyTo(drive);
                else BasalDrive(l, h[l - 2].AsSpan(0, batch * _width[l - 1]), batch, inv, drive);
                bool output = l == L;
                Multiply(product, false, true, batch, n, n, output ? lateralOutput : lateralHidden, hl, s.Lateral[l - 1], T.One, drive);
                if (!output)
                {
                    int above = _width[l + 1];
                    Multiply(product, false, true, batch, n, above, inv, h[l].AsSpan(0, batch * above), s.Feedback[l - 1], T.One, drive);
                    for (int i = 0; i < count; i++) ul[i] += eta * (drive[i] - decayHidden * ul[i] + g * hl[i]);
                }
                else if (beta == 0)
                {
                    for (int i = 0; i < count; i++) ul[i] += eta * (drive[i] - decayOutput * ul[i] + g * hl[i]);
                }
                else
                {
                    ReadOnlySpan<T> yl = y[..count];
                    for (int i = 0; i < count; i++) ul[i] += eta * (drive[i] - decayOutput * ul[i] + g * hl[i] - b * (hl[i] - yl[i]));
                }
                Activate(_kind[l], _slope[l], ul, hl);
            }
        }
    }

    /// <summary>drive ← (H_prev W_lᵀ + b_l)/ε.</summary>
    private void BasalDrive(int l, ReadOnlySpan<T> previous, int batch, T inv, Span<T> drive)
    {
        int n = _width[l];
        if (_b[l] is { } bias)
        {
            for (int r = 0; r < batch; r++)
            {
                Span<T> row = drive.Slice(r * n, n);
                for (int j = 0; j < n; j++) row[j] = bias[j] * inv;
            }
        }
        Multiply(Trainer.Network.Product, false, true, batch, n, _width[l - 1], inv, previous, _w[l], _b[l] is null ? T.Zero : T.One, drive);
    }

    /// <summary>e ← h − (H_prev W_lᵀ + b_l) for layer <paramref name="l"/>.</summary>
    private void ForwardError(int l, ReadOnlySpan<T> previous, ReadOnlySpan<T> rates, int batch, Span<T> e)
    {
        int n = _width[l], count = batch * n;
        rates[..count].CopyTo(e);
        Multiply(Trainer.Network.Product, false, true, batch, n, _width[l - 1], -T.One, previous, _w[l], T.One, e);
        if (_b[l] is { } bias)
        {
            for (int r = 0; r < batch; r++)
            {
                Span<T> row = e.Slice(r * n, n);
                for (int j = 0; j < n; j++) row[j] -= bias[j];
            }
        }
    }
}
