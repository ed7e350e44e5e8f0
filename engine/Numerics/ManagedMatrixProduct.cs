using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BioSim.Engine.Numerics;

/// <summary>
/// Our own GEMM, used when OpenBLAS is absent: the Goto/BLIS scheme in managed code. op(A) and op(B) are
/// packed per k-block (KC) into panels of MR rows and NR = 2 vectors of columns, and a register-blocked
/// micro-kernel accumulates an MR×NR tile of C with fused multiply-adds (4 × 2 vectors = 8 accumulators:
/// with 6 × 2 = 12 the .NET 10 JIT spilled every accumulator to the stack on each iteration at 16 ymm
/// registers, measured 6-8 against 13-14 GFLOP/s f64 at 1024² on AVX2). Edge tiles are zero-padded in the packs and
/// written back through a small stack tile. Pack buffers are per thread and grow only, so a training step
/// allocates nothing once they have reached the largest size used.
/// </summary>
public sealed class ManagedMatrixProduct : IMatrixProduct
{
    private const int MR = 4;
    private const int KC = 256;
    private const int MC = 96;

    /// <summary>Creates the kernel for <paramref name="vectorBits"/> = 512 or 256, or 0 for the widest the CPU accelerates.</summary>
    public ManagedMatrixProduct(int vectorBits = 0)
    {
        if (vectorBits == 0) vectorBits = Vector512.IsHardwareAccelerated ? 512 : 256;
        if (vectorBits is not (512 or 256))
            throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits, "The managed kernel has Vector512 and Vector256 variants: use 512, 256 or 0 (widest accelerated).");
        VectorBits = vectorBits;
        bool accelerated = vectorBits == 512 ? Vector512.IsHardwareAccelerated : Vector256.IsHardwareAccelerated;
        _name = $"managed Vector{vectorBits} FMA" + (accelerated ? "" : " (emulated: not accelerated on this CPU)");
    }

    private readonly string _name;

    /// <summary>Width of the vectors the micro-kernel uses.</summary>
    public int VectorBits { get; }

    /// <inheritdoc/>
    public string Name => _name + (Reason is null ? "" : $" [{Reason}]");

    /// <summary>Why <see cref="MatrixProducts"/> chose this kernel (shown in <see cref="Name"/>), or null.</summary>
    public string? Reason { get; set; }

    /// <inheritdoc/>
    public void Multiply(bool transposeA, bool transposeB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, ReadOnlySpan<double> b, double beta, Span<double> c) =>
        Gemm(transposeA, transposeB, m, n, k, alpha, a, b, beta, c);

    /// <inheritdoc/>
    public void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c) =>
        Gemm(transposeA, transposeB, m, n, k, alpha, a, b, beta, c);

    private void Gemm<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, T beta, Span<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        MatrixProducts.CheckShapes(m, n, k, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == T.Zero)
        {
            Scale(c[..(m * n)], beta);
            return;
        }
        if (VectorShapedProducts.TryMultiply(transA, m, n, k, alpha, a, b, beta, c)) return;
        int lanes = VectorBits / 8 / Unsafe.SizeOf<T>();
        int nr = 2 * lanes;
        int nPanels = (n + nr - 1) / nr;
        int kcMax = Math.Min(k, KC);
        int mcMax = Math.Min((m + MR - 1) / MR * MR, MC);
        T[] packA = Scratch<T>.A(mcMax * kcMax);
        T[] packB = Scratch<T>.B(nPanels * nr * kcMax);
        for (int p0 = 0; p0 < k; p0 += KC)
        {
            int kc = Math.Min(KC, k - p0);
            T betaBlock = p0 == 0 ? beta : T.One;
            PackB(transB, b, n, k, p0, kc, nr, packB);
            for (int i0 = 0; i0 < m; i0 += MC)
            {
                int mc = Math.Min(MC, m - i0);
                PackA(transA, a, m, k, i0, mc, p0, kc, packA);
                for (int jp = 0; jp < nPanels; jp++)
                {
                    int j = jp * nr;
                    int cols = Math.Min(nr, n - j);
                    ref T bPanel = ref packB[jp * nr * kc];
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int rows = Math.Min(MR, mc - ir);
                        ref T aPanel = ref packA[ir * kc];
                        int offset = (i0 + ir) * n + j;
                        if (VectorBits == 512) Kernel<Width512<T>, Vector512<T>, T>(kc, ref aPanel, ref bPanel, c, offset, n, rows, cols, alpha, betaBlock);
                        else Kernel<Width256<T>, Vector256<T>, T>(kc, ref aPanel, ref bPanel, c, offset, n, rows, cols, alpha, betaBlock);
                    }
                }
            }
        }
    }

    private static void Scale<T>(Span<T> c, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (beta == T.Zero) c.Clear();
        else if (beta != T.One)
            for (int i = 0; i < c.Length; i++) c[i] *= beta;
    }

    /// <summary>Packs op(B)[p0..p0+kc, :] into panels of nr columns, row p of panel q at q·nr·kc + p·nr; zero-pads the last panel.</summary>
    private static void PackB<T>(bool transB, ReadOnlySpan<T> b, int n, int k, int p0, int kc, int nr, T[] pack)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int nPanels = (n + nr - 1) / nr;
        for (int q = 0; q < nPanels; q++)
        {
            int j0 = q * nr;
            int cols = Math.Min(nr, n - j0);
            Span<T> panel = pack.AsSpan(q * nr * kc, nr * kc);
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    b.Slice((p0 + p) * n + j0, cols).CopyTo(panel.Slice(p * nr, cols));
                    if (cols < nr) panel.Slice(p * nr + cols, nr - cols).Clear();
                }
            }
            else
            {
                if (cols < nr) panel.Clear();
                for (int jj = 0; jj < cols; jj++)
                {
                    // B is n×k: column j of op(B) is row j of B. A strided scatter without bounds checks (the slices
                    // above checked them): in the forward pass of a layer (op(B) = Wᵀ) this pack is a fifth of the time.
                    ref readonly T row = ref b.Slice((j0 + jj) * k + p0, kc)[0];
                    ref T dst = ref panel[jj];
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref dst, p * nr) = Unsafe.Add(ref Unsafe.AsRef(in row), p);
                }
            }
        }
    }

    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] into panels of MR rows, element (r, p) of panel s at s·MR·kc + p·MR + r.</summary>
    private static void PackA<T>(bool transA, ReadOnlySpan<T> a, int m, int k, int i0, int mc, int p0, int kc, T[] pack)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            Span<T> panel = pack.AsSpan(ir * kc, MR * kc);
            if (rows < MR) panel.Clear();
            if (!transA)
            {
                for (int r = 0; r < rows; r++)
                {
                    ref readonly T row = ref a.Slice((i0 + ir + r) * k + p0, kc)[0];
                    ref T dst = ref panel[r];
                    for (int p = 0; p < kc; p++) Unsafe.Add(ref dst, p * MR) = Unsafe.Add(ref Unsafe.AsRef(in row), p);
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    a.Slice((p0 + p) * m + i0 + ir, rows).CopyTo(panel.Slice(p * MR, rows)); // A is k×m
                }
            }
        }
    }

    /// <summary>
    /// The micro-kernel, written once for any vector width: <typeparamref name="TWidth"/> is a struct
    /// (<see cref="Width512{T}"/>, <see cref="Width256{T}"/>) whose static members the JIT resolves and inlines
    /// for each instantiation, so each width gets its own tight loop with the accumulators in registers.
    /// </summary>
    private static void Kernel<TWidth, TVector, T>(int kc, ref T a, ref T b, Span<T> c, int offset, int ldc, int rows, int cols, T alpha, T beta)
        where TWidth : struct, IVectorWidth<TVector, T>
        where TVector : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TWidth.Count;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = TWidth.Load(ref b, (nuint)(p * 2 * w));
            var b1 = TWidth.Load(ref b, (nuint)(p * 2 * w + w));
            ref T ap = ref Unsafe.Add(ref a, p * MR);
            var x = TWidth.Broadcast(ap); c00 = TWidth.Fma(x, b0, c00); c01 = TWidth.Fma(x, b1, c01);
            x = TWidth.Broadcast(Unsafe.Add(ref ap, 1)); c10 = TWidth.Fma(x, b0, c10); c11 = TWidth.Fma(x, b1, c11);
            x = TWidth.Broadcast(Unsafe.Add(ref ap, 2)); c20 = TWidth.Fma(x, b0, c20); c21 = TWidth.Fma(x, b1, c21);
            x = TWidth.Broadcast(Unsafe.Add(ref ap, 3)); c30 = TWidth.Fma(x, b0, c30); c31 = TWidth.Fma(x, b1, c31);
        }
        // Explicit stores after the loop: gathering the accumulators into a collection expression made the
        // JIT keep them in stack slots and write them back on every iteration.
        Span<T> tile = stackalloc T[MR * 2 * w];
        ref T t = ref MemoryMarshal.GetReference(tile);
        TWidth.Store(c00, ref t, 0); TWidth.Store(c01, ref t, (nuint)w);
        TWidth.Store(c10, ref t, (nuint)(2 * w)); TWidth.Store(c11, ref t, (nuint)(3 * w));
        TWidth.Store(c20, ref t, (nuint)(4 * w)); TWidth.Store(c21, ref t, (nuint)(5 * w));
        TWidth.Store(c30, ref t, (nuint)(6 * w)); TWidth.Store(c31, ref t, (nuint)(7 * w));
        Store(tile, 2 * w, c, offset, ldc, rows, cols, alpha, beta);
    }

    /// <summary>C[tile] ← α·acc + β·C[tile] for the rows × cols part of the MR × nr accumulator tile.</summary>
    private static void Store<T>(ReadOnlySpan<T> acc, int nr, Span<T> c, int offset, int ldc, int rows, int cols, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> src = acc.Slice(r * nr, cols);
            Span<T> dst = c.Slice(offset + r * ldc, cols);
            if (beta == T.Zero)
                for (int j = 0; j < cols; j++) dst[j] = alpha * src[j];
            else if (beta == T.One && alpha == T.One)
                for (int j = 0; j < cols; j++) dst[j] += src[j];
            else
                for (int j = 0; j < cols; j++) dst[j] = alpha * src[j] + beta * dst[j];
        }
    }

    /// <summary>Per-thread pack buffers that only grow.</summary>
    private static class Scratch<T>
    {
        [ThreadStatic] private static T[]? _a;
        [ThreadStatic] private static T[]? _b;

        public static T[] A(int length) => _a is { } x && x.Length >= length ? x : _a = new T[length];

        public static T[] B(int length) => _b is { } x && x.Length >= length ? x : _b = new T[length];
    }
}
