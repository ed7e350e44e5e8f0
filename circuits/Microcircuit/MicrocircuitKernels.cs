using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BioSim.Circuits.Microcircuit;

/// <summary>
/// The dense kernels of the microcircuit and its rules: matrix-vector products and the low-pass filtered outer-product
/// update fused with the product of the changed matrix, on row-major matrices (rows = receiving cells). Each kernel is
/// one pass over memory (the weight matrices of large layers do not fit in cache, so every extra pass costs its memory
/// traffic) and allocates nothing. Sums run in Vector512 lanes where the hardware has them (the rest of a row in one
/// Vector256, one Vector128 and one scalar step, so a short row such as the 10 columns of the 500 × 10 matrices of a
/// 784-500-10 circuit has no scalar loop), otherwise in Vector256 lanes with a scalar remainder; for rows of 16 columns
/// or more the product is TensorPrimitives.Dot. Summation orders differ from a plain loop's by round-off only.
/// </summary>
public static class MicrocircuitKernels
{
    private const int ShortRow = 16;

    /// <summary>y ← W x for row-major W of y.Length rows and x.Length columns.</summary>
    public static void MatVec(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> y)
    {
        int m = x.Length, n = y.Length;
        if (w.Length != n * m) throw new ArgumentException($"The matrix has {w.Length} entries, not {n} × {m}.", nameof(w));
        if (m >= ShortRow)
        {
            for (int i = 0; i < n; i++) y[i] = TensorPrimitives.Dot(w.Slice(i * m, m), x);
            return;
        }
        ref double w0 = ref MemoryMarshal.GetReference(w);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated)
        {
            int end8 = m - m % 8, rest = m - end8;
            for (int i = 0; i < n; i++)
            {
                ref double wr = ref Unsafe.Add(ref w0, i * m);
                var acc = Vector512<double>.Zero;
                int j = 0;
                for (; j < end8; j += 8) acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref wr, (nuint)j), Vector512.LoadUnsafe(ref x0, (nuint)j), acc);
                var acc4 = acc.GetLower() + acc.GetUpper();
                if ((rest & 4) != 0)
                {
                    acc4 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wr, (nuint)j), Vector256.LoadUnsafe(ref x0, (nuint)j), acc4);
                    j += 4;
                }
                var acc2 = acc4.GetLower() + acc4.GetUpper();
                if ((rest & 2) != 0)
                {
                    acc2 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref wr, (nuint)j), Vector128.LoadUnsafe(ref x0, (nuint)j), acc2);
                    j += 2;
                }
                double sum = acc2.GetElement(0) + acc2.GetElement(1);
                if ((rest & 1) != 0) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref wr, j), Unsafe.Add(ref x0, j), sum);
                y[i] = sum;
            }
            return;
        }
        int vectorEnd = Vector256.IsHardwareAccelerated ? m - m % Vector256<double>.Count : 0;
        for (int i = 0; i < n; i++)
        {
            ref double wr = ref Unsafe.Add(ref w0, i * m);
            var acc = Vector256<double>.Zero;
            int j = 0;
            for (; j < vectorEnd; j += Vector256<double>.Count)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wr, (nuint)j), Vector256.LoadUnsafe(ref x0, (nuint)j), acc);
            }
            double sum = vectorEnd > 0 ? Vector256.Sum(acc) : 0;
            for (; j < m; j++) sum += Unsafe.Add(ref wr, j) * Unsafe.Add(ref x0, j);
            y[i] = sum;
        }
    }

    /// <summary>
    /// The low-pass filtered outer-product update of one plastic matrix, fused with the product of the changed matrix:
    /// row by row, Δ ← a Δ + c_i pre, W ← W + s Δ, y_i ← W_i · pre (the new weights times the same presynaptic rates).
    /// </summary>
    /// <param name="w">Weights, row-major, c.Length × pre.Length; changed in place.</param>
    /// <param name="filtered">The low-pass state Δ, same shape; changed in place.</param>
    /// <param name="pre">Presynaptic rates (one per column).</param>
    /// <param name="c">Per row, the induction's factor: (1 − a) × the row's error.</param>
    /// <param name="a">The filter's decay over the step, e^{−dt/τ_w}.</param>
    /// <param name="s">The learning step η dt.</param>
    /// <param name="y">The product W·pre with the changed weights, one per row.</param>
    public static void FilteredUpdate(Span<double> w, Span<double> filtered, ReadOnlySpan<double> pre, ReadOnlySpan<double> c,
        double a, double s, Span<double> y)
    {
        int m = pre.Length, n = c.Length;
        if (w.Length != n * m || filtered.Length != n * m) throw new ArgumentException($"The matrices must be {n} × {m}.", nameof(w));
        if (y.Length != n) throw new ArgumentException($"The product needs {n} values, got {y.Length}.", nameof(y));
        ref double w0 = ref MemoryMarshal.GetReference(w);
        ref double f0 = ref MemoryMarshal.GetReference(filtered);
        ref double p0 = ref MemoryMarshal.GetReference(pre);
        if (Vector512.IsHardwareAccelerated)
        {
            FilteredUpdate512(ref w0, ref f0, ref p0, m, c, a, s, y);
            return;
        }
        if (m < Vector256<double>.Count || !Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < n; i++)
            {
                double ci = c[i], sum = 0;
                int k = i * m;
                for (int j = 0; j < m; j++)
                {
                    double pj = Unsafe.Add(ref p0, j);
                    ref double f = ref Unsafe.Add(ref f0, k + j);
                    ref double wk = ref Unsafe.Add(ref w0, k + j);
                    double d = a * f + ci * pj;
                    f = d;
                    double nw = wk + s * d;
                    wk = nw;
                    sum += nw * pj;
                }
                y[i] = sum;
            }
            return;
        }
        var va = Vector256.Create(a);
        var vs = Vector256.Create(s);
        int vectorEnd = m - m % Vector256<double>.Count;
        for (int i = 0; i < n; i++)
        {
            double ci = c[i];
            var vc = Vector256.Create(ci);
            var acc = Vector256<double>.Zero;
            ref double wr = ref Unsafe.Add(ref w0, i * m);
            ref double fr = ref Unsafe.Add(ref f0, i * m);
            int j = 0;
            for (; j < vectorEnd; j += Vector256<double>.Count)
            {
                var p = Vector256.LoadUnsafe(ref p0, (nuint)j);
                var d = Vector256.FusedMultiplyAdd(va, Vector256.LoadUnsafe(ref fr, (nuint)j), vc * p);
                d.StoreUnsafe(ref fr, (nuint)j);
                var nw = Vector256.FusedMultiplyAdd(vs, d, Vector256.LoadUnsafe(ref wr, (nuint)j));
                nw.StoreUnsafe(ref wr, (nuint)j);
                acc = Vector256.FusedMultiplyAdd(nw, p, acc);
            }
            double sum = Vector256.Sum(acc);
            for (; j < m; j++)
            {
                double pj = Unsafe.Add(ref p0, j);
                double d = a * Unsafe.Add(ref fr, j) + ci * pj;
                Unsafe.Add(ref fr, j) = d;
                double nw = Unsafe.Add(ref wr, j) + s * d;
                Unsafe.Add(ref wr, j) = nw;
                sum += nw * pj;
            }
            y[i] = sum;
        }
    }

    /// <summary><see cref="FilteredUpdate"/> in Vector512 lanes, the rest of a row in one Vector256, one Vector128 and one
    /// scalar step (a row of 10 is 8 + 2: no scalar loop, which a short row would spend most of its time in).</summary>
    private static void FilteredUpdate512(ref double w0, ref double f0, ref double p0, int m, ReadOnlySpan<double> c, double a, double s, Span<double> y)
    {
        int end8 = m - m % 8, rest = m - end8;
        var va = Vector512.Create(a);
        var vs = Vector512.Create(s);
        for (int i = 0; i < c.Length; i++)
        {
            double ci = c[i];
            var vc = Vector512.Create(ci);
            ref double wr = ref Unsafe.Add(ref w0, i * m);
            ref double fr = ref Unsafe.Add(ref f0, i * m);
            var acc = Vector512<double>.Zero;
            int j = 0;
            for (; j < end8; j += 8)
            {
                var p = Vector512.LoadUnsafe(ref p0, (nuint)j);
                var d = Vector512.FusedMultiplyAdd(va, Vector512.LoadUnsafe(ref fr, (nuint)j), vc * p);
                d.StoreUnsafe(ref fr, (nuint)j);
                var nw = Vector512.FusedMultiplyAdd(vs, d, Vector512.LoadUnsafe(ref wr, (nuint)j));
                nw.StoreUnsafe(ref wr, (nuint)j);
                acc = Vector512.FusedMultiplyAdd(nw, p, acc);
            }
            var acc4 = acc.GetLower() + acc.GetUpper();
            if ((rest & 4) != 0)
            {
                var p = Vector256.LoadUnsafe(ref p0, (nuint)j);
                var d = Vector256.FusedMultiplyAdd(va.GetLower(), Vector256.LoadUnsafe(ref fr, (nuint)j), vc.GetLower() * p);
                d.StoreUnsafe(ref fr, (nuint)j);
                var nw = Vector256.FusedMultiplyAdd(vs.GetLower(), d, Vector256.LoadUnsafe(ref wr, (nuint)j));
                nw.StoreUnsafe(ref wr, (nuint)j);
                acc4 = Vector256.FusedMultiplyAdd(nw, p, acc4);
                j += 4;
            }
            var acc2 = acc4.GetLower() + acc4.GetUpper();
            if ((rest & 2) != 0)
            {
                var p = Vector128.LoadUnsafe(ref p0, (nuint)j);
                var d = Vector128.FusedMultiplyAdd(va.GetLower().GetLower(), Vector128.LoadUnsafe(ref fr, (nuint)j), vc.GetLower().GetLower() * p);
                d.StoreUnsafe(ref fr, (nuint)j);
                var nw = Vector128.FusedMultiplyAdd(vs.GetLower().GetLower(), d, Vector128.LoadUnsafe(ref wr, (nuint)j));
                nw.StoreUnsafe(ref wr, (nuint)j);
                acc2 = Vector128.FusedMultiplyAdd(nw, p, acc2);
                j += 2;
            }
            double sum = acc2.GetElement(0) + acc2.GetElement(1);
            if ((rest & 1) != 0)
            {
                double pj = Unsafe.Add(ref p0, j);
                double d = Math.FusedMultiplyAdd(a, Unsafe.Add(ref fr, j), ci * pj);
                Unsafe.Add(ref fr, j) = d;
                double nw = Math.FusedMultiplyAdd(s, d, Unsafe.Add(ref wr, j));
                Unsafe.Add(ref wr, j) = nw;
                sum = Math.FusedMultiplyAdd(nw, pj, sum);
            }
            y[i] = sum;
        }
    }

    /// <summary>One element of <see cref="PendingUpdate"/>'s scalar path: the held-back change applied (when pending) and both
    /// products accumulated, for the short rows and the vector loop's odd tail alike.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PendingElement(ref double fr, ref double wr, ref double p0, ref double x0, int j, bool pending, double a, double s,
        double bi, ref double sumW, ref double sumF)
    {
        double f = Unsafe.Add(ref fr, j), wv = Unsafe.Add(ref wr, j);
        if (pending)
        {
            f = Math.FusedMultiplyAdd(a, f, bi * Unsafe.Add(ref p0, j));
            wv = Math.FusedMultiplyAdd(s, f, wv);
            Unsafe.Add(ref fr, j) = f;
            Unsafe.Add(ref wr, j) = wv;
        }
        double xj = Unsafe.Add(ref x0, j);
        sumW = Math.FusedMultiplyAdd(wv, xj, sumW);
        sumF = Math.FusedMultiplyAdd(f, xj, sumF);
    }

    /// <summary>
    /// One pass over a plastic matrix per step: the last step's low-pass filtered update, held back until now, goes into the
    /// arrays row by row, Δ ← a Δ + b_i p'ᵀ, W ← W + s Δ (the per-step rule's operations on the step's inductions b_i p'ⱼ),
    /// and in the same pass y_i = W_i · x and z_i = Δ_i · x with this step's presynaptic rates x. With
    /// <paramref name="pending"/> false the arrays are left as they are and only the products are taken.
    /// </summary>
    /// <param name="w">Weights, row-major, b.Length × x.Length; changed in place when pending.</param>
    /// <param name="filtered">The low-pass state Δ, same shape.</param>
    /// <param name="pending">Whether the last step's update is still to be applied.</param>
    /// <param name="previous">p', the presynaptic rates of the held-back step.</param>
    /// <param name="b">Per row, the held-back induction's factor ((1 − a) × the row's error).</param>
    /// <param name="a">The filter's decay over that step.</param>
    /// <param name="s">Its learning step η dt.</param>
    /// <param name="x">This step's presynaptic rates.</param>
    /// <param name="y">W x (after the update), one per row.</param>
    /// <param name="z">Δ x (after the update), one per row.</param>
    public static void PendingUpdate(Span<double> w, Span<double> filtered, bool pending, ReadOnlySpan<double> previous, ReadOnlySpan<double> b,
        double a, double s, ReadOnlySpan<double> x, Span<double> y, Span<double> z)
    {
        int m = x.Length, n = y.Length;
        if (w.Length != n * m || filtered.Length != n * m || z.Length != n || b.Length != n || previous.Length != m)
            throw new ArgumentException($"The matrices must be {n} × {m} with one factor and one product per row.", nameof(w));
        ref double w0 = ref MemoryMarshal.GetReference(w);
        ref double f0 = ref MemoryMarshal.GetReference(filtered);
        ref double p0 = ref MemoryMarshal.GetReference(previous);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        if (!Vector512.IsHardwareAccelerated)
        {
            for (int i = 0; i < n; i++)
            {
                double bi = b[i], sumW = 0, sumF = 0;
                ref double wr = ref Unsafe.Add(ref w0, i * m);
                ref double fr = ref Unsafe.Add(ref f0, i * m);
                for (int j = 0; j < m; j++)
                {
                    PendingElement(ref fr, ref wr, ref p0, ref x0, j, pending, a, s, bi, ref sumW, ref sumF);
                }
                y[i] = sumW;
                z[i] = sumF;
            }
            return;
        }
        int end8 = m - m % 8, rest = m - end8;
        var va = Vector512.Create(a);
        var vs = Vector512.Create(s);
        for (int i = 0; i < n; i++)
        {
            double bi = b[i];
            var vb = Vector512.Create(bi);
            ref double wr = ref Unsafe.Add(ref w0, i * m);
            ref double fr = ref Unsafe.Add(ref f0, i * m);
            var accW = Vector512<double>.Zero;
            var accF = Vector512<double>.Zero;
            int j = 0;
            if (end8 >= 32)
            {
                // Long rows: a second pair of sums, so that the additions of a row do not wait on each other.
                var accW1 = Vector512<double>.Zero;
                var accF1 = Vector512<double>.Zero;
                for (; j + 16 <= end8; j += 16)
                {
                    var f = Vector512.LoadUnsafe(ref fr, (nuint)j);
                    var wv = Vector512.LoadUnsafe(ref wr, (nuint)j);
                    var f1 = Vector512.LoadUnsafe(ref fr, (nuint)(j + 8));
                    var wv1 = Vector512.LoadUnsafe(ref wr, (nuint)(j + 8));
                    if (pending)
                    {
                        f = Vector512.FusedMultiplyAdd(va, f, vb * Vector512.LoadUnsafe(ref p0, (nuint)j));
                        wv = Vector512.FusedMultiplyAdd(vs, f, wv);
                        f.StoreUnsafe(ref fr, (nuint)j);
                        wv.StoreUnsafe(ref wr, (nuint)j);
                        f1 = Vector512.FusedMultiplyAdd(va, f1, vb * Vector512.LoadUnsafe(ref p0, (nuint)(j + 8)));
                        wv1 = Vector512.FusedMultiplyAdd(vs, f1, wv1);
                        f1.StoreUnsafe(ref fr, (nuint)(j + 8));
                        wv1.StoreUnsafe(ref wr, (nuint)(j + 8));
                    }
                    var xv = Vector512.LoadUnsafe(ref x0, (nuint)j);
                    var xv1 = Vector512.LoadUnsafe(ref x0, (nuint)(j + 8));
                    accW = Vector512.FusedMultiplyAdd(wv, xv, accW);
                    accF = Vector512.FusedMultiplyAdd(f, xv, accF);
                    accW1 = Vector512.FusedMultiplyAdd(wv1, xv1, accW1);
                    accF1 = Vector512.FusedMultiplyAdd(f1, xv1, accF1);
                }
                accW += accW1;
                accF += accF1;
            }
            for (; j < end8; j += 8)
            {
                var f = Vector512.LoadUnsafe(ref fr, (nuint)j);
                var wv = Vector512.LoadUnsafe(ref wr, (nuint)j);
                if (pending)
                {
                    f = Vector512.FusedMultiplyAdd(va, f, vb * Vector512.LoadUnsafe(ref p0, (nuint)j));
                    wv = Vector512.FusedMultiplyAdd(vs, f, wv);
                    f.StoreUnsafe(ref fr, (nuint)j);
                    wv.StoreUnsafe(ref wr, (nuint)j);
                }
                var xv = Vector512.LoadUnsafe(ref x0, (nuint)j);
                accW = Vector512.FusedMultiplyAdd(wv, xv, accW);
                accF = Vector512.FusedMultiplyAdd(f, xv, accF);
            }
            var accW4 = accW.GetLower() + accW.GetUpper();
            var accF4 = accF.GetLower() + accF.GetUpper();
            if ((rest & 4) != 0)
            {
                var f = Vector256.LoadUnsafe(ref fr, (nuint)j);
                var wv = Vector256.LoadUnsafe(ref wr, (nuint)j);
                if (pending)
                {
                    f = Vector256.FusedMultiplyAdd(va.GetLower(), f, vb.GetLower() * Vector256.LoadUnsafe(ref p0, (nuint)j));
                    wv = Vector256.FusedMultiplyAdd(vs.GetLower(), f, wv);
                    f.StoreUnsafe(ref fr, (nuint)j);
                    wv.StoreUnsafe(ref wr, (nuint)j);
                }
                var xv = Vector256.LoadUnsafe(ref x0, (nuint)j);
                accW4 = Vector256.FusedMultiplyAdd(wv, xv, accW4);
                accF4 = Vector256.FusedMultiplyAdd(f, xv, accF4);
                j += 4;
            }
            var accW2 = accW4.GetLower() + accW4.GetUpper();
            var accF2 = accF4.GetLower() + accF4.GetUpper();
            if ((rest & 2) != 0)
            {
                var f = Vector128.LoadUnsafe(ref fr, (nuint)j);
                var wv = Vector128.LoadUnsafe(ref wr, (nuint)j);
                if (pending)
                {
                    f = Vector128.FusedMultiplyAdd(va.GetLower().GetLower(), f, vb.GetLower().GetLower() * Vector128.LoadUnsafe(ref p0, (nuint)j));
                    wv = Vector128.FusedMultiplyAdd(vs.GetLower().GetLower(), f, wv);
                    f.StoreUnsafe(ref fr, (nuint)j);
                    wv.StoreUnsafe(ref wr, (nuint)j);
                }
                var xv = Vector128.LoadUnsafe(ref x0, (nuint)j);
                accW2 = Vector128.FusedMultiplyAdd(wv, xv, accW2);
                accF2 = Vector128.FusedMultiplyAdd(f, xv, accF2);
                j += 2;
            }
            double sumW = accW2.GetElement(0) + accW2.GetElement(1), sumF = accF2.GetElement(0) + accF2.GetElement(1);
            if ((rest & 1) != 0)
            {
                PendingElement(ref fr, ref wr, ref p0, ref x0, j, pending, a, s, bi, ref sumW, ref sumF);
            }
            y[i] = sumW;
            z[i] = sumF;
        }
    }

    /// <summary>
    /// <see cref="PendingUpdate"/> on a matrix stored transposed (column-major W, i.e. row-major Wᵀ of x.Length rows of
    /// y.Length values): the form for a tall matrix of short rows (a 500 × 10 matrix is 10 rows of 500 here), where a
    /// row-by-row pass would spend its time on short rows and horizontal sums. Eight receiving cells at a time (one
    /// Vector512 of rows, their sums in registers), the columns in order: Δ_ij ← a Δ_ij + b_i p'_j, W_ij ← W_ij + s Δ_ij with
    /// the row-major kernel's operations (the same bits), y_i = Σ_j W_ij x_j and z_i = Σ_j Δ_ij x_j summed over j in order
    /// by fused multiply-adds (as a plain loop with FMA does); the last rows (fewer than eight) scalar with the same operations.
    /// </summary>
    /// <param name="wT">Weights transposed, row-major x.Length × y.Length (column j of W is row j); changed in place when pending.</param>
    /// <param name="filteredT">The low-pass state Δ, transposed like <paramref name="wT"/>.</param>
    /// <param name="pending">Whether the last step's update is still to be applied.</param>
    /// <param name="previous">p', the presynaptic rates of the held-back step (one per column of W).</param>
    /// <param name="b">Per row of W, the held-back induction's factor.</param>
    /// <param name="a">The filter's decay over that step.</param>
    /// <param name="s">Its learning step η dt.</param>
    /// <param name="x">This step's presynaptic rates.</param>
    /// <param name="y">W x (after the update), one per row of W.</param>
    /// <param name="z">Δ x (after the update), one per row of W.</param>
    public static void PendingUpdateTransposed(Span<double> wT, Span<double> filteredT, bool pending, ReadOnlySpan<double> previous,
        ReadOnlySpan<double> b, double a, double s, ReadOnlySpan<double> x, Span<double> y, Span<double> z)
    {
        int m = x.Length, n = y.Length;
        if (wT.Length != n * m || filteredT.Length != n * m || z.Length != n || b.Length != n || previous.Length != m)
            throw new ArgumentException($"The transposed matrices must be {m} × {n} with one factor and one product per row of W.", nameof(wT));
        ref double w0 = ref MemoryMarshal.GetReference(wT);
        ref double f0 = ref MemoryMarshal.GetReference(filteredT);
        ref double p0 = ref MemoryMarshal.GetReference(previous);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        ref double b0 = ref MemoryMarshal.GetReference(b);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vs = Vector512.Create(s);
            for (; i + 8 <= n; i += 8)
            {
                var vb = Vector512.LoadUnsafe(ref b0, (nuint)i);
                var accW = Vector512<double>.Zero;
                var accF = Vector512<double>.Zero;
                for (int j = 0; j < m; j++)
                {
                    nuint k = (nuint)(j * n + i);
                    var f = Vector512.LoadUnsafe(ref f0, k);
                    var wv = Vector512.LoadUnsafe(ref w0, k);
                    if (pending)
                    {
                        f = Vector512.FusedMultiplyAdd(va, f, vb * Vector512.Create(Unsafe.Add(ref p0, j)));
                        wv = Vector512.FusedMultiplyAdd(vs, f, wv);
                        f.StoreUnsafe(ref f0, k);
                        wv.StoreUnsafe(ref w0, k);
                    }
                    var xv = Vector512.Create(Unsafe.Add(ref x0, j));
                    accW = Vector512.FusedMultiplyAdd(wv, xv, accW);
                    accF = Vector512.FusedMultiplyAdd(f, xv, accF);
                }
                accW.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)i);
                accF.StoreUnsafe(ref MemoryMarshal.GetReference(z), (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vs = Vector256.Create(s);
            for (; i + 4 <= n; i += 4)
            {
                var vb = Vector256.LoadUnsafe(ref b0, (nuint)i);
                var accW = Vector256<double>.Zero;
                var accF = Vector256<double>.Zero;
                for (int j = 0; j < m; j++)
                {
                    nuint k = (nuint)(j * n + i);
                    var f = Vector256.LoadUnsafe(ref f0, k);
                    var wv = Vector256.LoadUnsafe(ref w0, k);
                    if (pending)
                    {
                        f = Vector256.FusedMultiplyAdd(va, f, vb * Vector256.Create(Unsafe.Add(ref p0, j)));
                        wv = Vector256.FusedMultiplyAdd(vs, f, wv);
                        f.StoreUnsafe(ref f0, k);
                        wv.StoreUnsafe(ref w0, k);
                    }
                    var xv = Vector256.Create(Unsafe.Add(ref x0, j));
                    accW = Vector256.FusedMultiplyAdd(wv, xv, accW);
                    accF = Vector256.FusedMultiplyAdd(f, xv, accF);
                }
                accW.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)i);
                accF.StoreUnsafe(ref MemoryMarshal.GetReference(z), (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            double bi = b[i], sumW = 0, sumF = 0;
            for (int j = 0; j < m; j++)
            {
                ref double f = ref Unsafe.Add(ref f0, j * n + i);
                ref double wv = ref Unsafe.Add(ref w0, j * n + i);
                double fv = f, wvv = wv;
                if (pending)
                {
                    fv = Math.FusedMultiplyAdd(a, fv, bi * Unsafe.Add(ref p0, j));
                    wvv = Math.FusedMultiplyAdd(s, fv, wvv);
                    f = fv;
                    wv = wvv;
                }
                double xj = Unsafe.Add(ref x0, j);
                sumW = Math.FusedMultiplyAdd(wvv, xj, sumW);
                sumF = Math.FusedMultiplyAdd(fv, xj, sumF);
            }
            y[i] = sumW;
            z[i] = sumF;
        }
    }

    /// <summary>y_i ← y_i + s (a z_i + b_i q) with fused multiply-adds, FMA(s, FMA(a, z_i, b_i q), y_i), lane by lane (the same
    /// bits as the scalar expression): the product of a matrix with its presynaptic rates x after the change Δ ← a Δ + b xᵀ,
    /// W ← W + s Δ, from y = W x and z = Δ x before it and q = x · x.</summary>
    public static void AfterChange(Span<double> y, ReadOnlySpan<double> z, ReadOnlySpan<double> b, double a, double s, double q)
    {
        int n = y.Length;
        if (z.Length != n || b.Length != n) throw new ArgumentException($"y, z and b must have {n} values each.", nameof(z));
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref double y0 = ref MemoryMarshal.GetReference(y);
            ref double z0 = ref MemoryMarshal.GetReference(z);
            ref double b0 = ref MemoryMarshal.GetReference(b);
            var va = Vector512.Create(a);
            var vs = Vector512.Create(s);
            var vq = Vector512.Create(q);
            for (; i + 8 <= n; i += 8)
            {
                var inner = Vector512.FusedMultiplyAdd(va, Vector512.LoadUnsafe(ref z0, (nuint)i), Vector512.LoadUnsafe(ref b0, (nuint)i) * vq);
                Vector512.FusedMultiplyAdd(vs, inner, Vector512.LoadUnsafe(ref y0, (nuint)i)).StoreUnsafe(ref y0, (nuint)i);
            }
        }
        for (; i < n; i++) y[i] = Math.FusedMultiplyAdd(s, Math.FusedMultiplyAdd(a, z[i], b[i] * q), y[i]);
    }

    /// <summary>y ← W x for W stored transposed (row-major Wᵀ, x.Length rows of y.Length values): eight rows of W at a time,
    /// y_i = Σ_j W_ij x_j summed over j in order by fused multiply-adds; the last rows (fewer than eight) scalar alike.</summary>
    public static void MatVecTransposed(ReadOnlySpan<double> wT, ReadOnlySpan<double> x, Span<double> y)
    {
        int m = x.Length, n = y.Length;
        if (wT.Length != n * m) throw new ArgumentException($"The transposed matrix has {wT.Length} entries, not {m} × {n}.", nameof(wT));
        ref double w0 = ref MemoryMarshal.GetReference(wT);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var acc = Vector512<double>.Zero;
                for (int j = 0; j < m; j++) acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w0, (nuint)(j * n + i)), Vector512.Create(Unsafe.Add(ref x0, j)), acc);
                acc.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < m; j++) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref w0, j * n + i), Unsafe.Add(ref x0, j), sum);
            y[i] = sum;
        }
    }

    /// <summary>Transposes a row-major rows × columns matrix into <paramref name="destination"/> (row-major columns × rows).</summary>
    public static void Transpose(ReadOnlySpan<double> source, int rows, int columns, Span<double> destination)
    {
        if (source.Length != rows * columns || destination.Length != rows * columns) throw new ArgumentException($"Both matrices must hold {rows} × {columns} values.", nameof(source));
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++) destination[j * rows + i] = source[i * columns + j];
        }
    }

    /// <summary>
    /// Folds a factored low-pass update into a weight matrix and its filter state, W ← W + α Δ + c rᵀ and Δ ← p Δ + b rᵀ
    /// (W first, from the Δ before its change), and in the same pass the products of the folded matrices with
    /// <paramref name="x"/>: y = W x, z = Δ x (when <paramref name="y"/> is not empty). With α = 0, p = 1 and b = c = 0
    /// the matrices keep their bits and only the products are computed.
    /// </summary>
    /// <param name="w">Weights, row-major, c.Length × r.Length.</param>
    /// <param name="filtered">Filter state Δ, same shape.</param>
    /// <param name="r">The presynaptic rates of the factored interval.</param>
    /// <param name="alpha">α, the weight's share of the starting filter state.</param>
    /// <param name="p">p, the decay of the starting filter state over the interval.</param>
    /// <param name="b">Per row, the filter's accumulated induction (coefficient of rᵀ).</param>
    /// <param name="c">Per row, the weights' accumulated change along rᵀ.</param>
    /// <param name="x">The rates the products are taken with.</param>
    /// <param name="y">W x after folding (empty: no products).</param>
    /// <param name="z">Δ x after folding.</param>
    public static void Fold(Span<double> w, Span<double> filtered, ReadOnlySpan<double> r, double alpha, double p,
        ReadOnlySpan<double> b, ReadOnlySpan<double> c, ReadOnlySpan<double> x, Span<double> y, Span<double> z)
    {
        int m = r.Length, n = b.Length;
        if (w.Length != n * m || filtered.Length != n * m || c.Length != n) throw new ArgumentException($"The matrices must be {n} × {m}.", nameof(w));
        bool products = !y.IsEmpty;
        if (products && (x.Length != m || y.Length != n || z.Length != n)) throw new ArgumentException("The products need one rate per column and one value per row.", nameof(y));
        bool fold = alpha != 0 || p != 1 || b.ContainsAnyExcept(0.0) || c.ContainsAnyExcept(0.0);
        if (!fold && !products) return;
        ref double w0 = ref MemoryMarshal.GetReference(w);
        ref double f0 = ref MemoryMarshal.GetReference(filtered);
        ref double r0 = ref MemoryMarshal.GetReference(r);
        ref double x0 = ref MemoryMarshal.GetReference(x);
        int width = Vector256.IsHardwareAccelerated ? Vector256<double>.Count : int.MaxValue;
        int vectorEnd = width == int.MaxValue ? 0 : m - m % width;
        var va = Vector256.Create(alpha);
        var vp = Vector256.Create(p);
        for (int i = 0; i < n; i++)
        {
            double bi = b[i], ci = c[i];
            var vb = Vector256.Create(bi);
            var vc = Vector256.Create(ci);
            var accW = Vector256<double>.Zero;
            var accF = Vector256<double>.Zero;
            ref double wr = ref Unsafe.Add(ref w0, i * m);
            ref double fr = ref Unsafe.Add(ref f0, i * m);
            int j = 0;
            for (; j < vectorEnd; j += Vector256<double>.Count)
            {
                var wv = Vector256.LoadUnsafe(ref wr, (nuint)j);
                var fv = Vector256.LoadUnsafe(ref fr, (nuint)j);
                if (fold)
                {
                    var rv = Vector256.LoadUnsafe(ref r0, (nuint)j);
                    wv = Vector256.FusedMultiplyAdd(vc, rv, Vector256.FusedMultiplyAdd(va, fv, wv));
                    fv = Vector256.FusedMultiplyAdd(vp, fv, vb * rv);
                    wv.StoreUnsafe(ref wr, (nuint)j);
                    fv.StoreUnsafe(ref fr, (nuint)j);
                }
                if (products)
                {
                    var xv = Vector256.LoadUnsafe(ref x0, (nuint)j);
                    accW = Vector256.FusedMultiplyAdd(wv, xv, accW);
                    accF = Vector256.FusedMultiplyAdd(fv, xv, accF);
                }
            }
            double sumW = products ? Vector256.Sum(accW) : 0, sumF = products ? Vector256.Sum(accF) : 0;
            for (; j < m; j++)
            {
                double wv = Unsafe.Add(ref wr, j), fv = Unsafe.Add(ref fr, j);
                if (fold)
                {
                    double rj = Unsafe.Add(ref r0, j);
                    wv = Math.FusedMultiplyAdd(ci, rj, Math.FusedMultiplyAdd(alpha, fv, wv));
                    fv = Math.FusedMultiplyAdd(p, fv, bi * rj);
                    Unsafe.Add(ref wr, j) = wv;
                    Unsafe.Add(ref fr, j) = fv;
                }
                if (products)
                {
                    double xj = Unsafe.Add(ref x0, j);
                    sumW += wv * xj;
                    sumF += fv * xj;
                }
            }
            if (products)
            {
                y[i] = sumW;
                z[i] = sumF;
            }
        }
    }
}
