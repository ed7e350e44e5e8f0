using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BioSim.Engine.Simulation;

namespace BioSim.Engine.Numerics;

/// <summary>
/// Our own GEMM, used when OpenBLAS is absent: the Goto/BLIS scheme in managed code. op(A) and op(B) are
/// packed per k-block (KC) into panels of MR rows and NR = 2 vectors of columns, and a register-blocked
/// micro-kernel accumulates an MR×NR tile of C with fused multiply-adds (4 × 2 vectors = 8 accumulators:
/// with 6 × 2 = 12 the .NET 10 JIT spilled every accumulator to the stack on each iteration at 16 ymm
/// registers, measured 6-8 against 13-14 GFLOP/s f64 at 1024² on AVX2). Edge tiles are zero-padded in the packs and
/// written back through a small stack tile. Pack buffers are per thread and grow only, so a training step
/// allocates nothing once they have reached the largest size used.
/// <para>
/// On <see cref="Threads"/> &gt; 1 a product of at least <see cref="MinParallelWork"/> multiply-adds runs on a
/// <see cref="StepTeam"/> in one round: the caller packs op(A), then the threads share tasks (an MC-row block × a group of
/// NR-column panels, fixed by the shape, claimed from a counter) that each run all k-blocks of their tiles. Every element of C is still
/// summed by one micro-kernel lane over the same k-blocks in the same order as on one thread (the tile an element
/// falls in, the thread and the zero padding never enter its arithmetic), so the result is the same bits at any
/// thread count (tests/Plasticity/MatrixProductTests). The A pack of the threaded path belongs to the instance; a
/// second call on the same instance while one is running takes the one-thread path.
/// </para>
/// </summary>
public sealed class ManagedMatrixProduct : IMatrixProduct
{
    /// <summary>Multiply-adds (m·n·k) below which a product runs on the calling thread alone: 64³, about 10-20 µs at
    /// 25-50 GFLOP/s, where waking the team (µs, more when a worker has blocked) would cost a noticeable share.</summary>
    public const long MinParallelWork = 64 * 64 * 64;

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
    public string Name => _name + (_threads > 1 ? $", {_threads} threads" : "") + (Reason is null ? "" : $" [{Reason}]");

    /// <summary>Why <see cref="MatrixProducts"/> chose this kernel (shown in <see cref="Name"/>), or null.</summary>
    public string? Reason { get; set; }

    /// <summary>How many products this instance has run on its team of <see cref="Threads"/> threads (the others ran on
    /// the calling thread alone: one thread, fewer than <see cref="MinParallelWork"/> multiply-adds, a matrix-vector shape,
    /// or a concurrent call); for tests and benchmarks.</summary>
    public long ThreadedProducts => Interlocked.Read(ref _threadedProducts);

    private long _threadedProducts;
    private int _threads = 1;
    private StepTeam? _team;
    private Action<int>? _work;
    private int _busy;
    private ParallelGemm<double>? _f64;
    private ParallelGemm<float>? _f32;

    /// <summary>Threads a product may use, the caller's included (default 1); the result does not depend on it.
    /// Set by the commands from <c>--threads</c> (<see cref="MatrixProducts.SetThreads"/>), as for OpenBLAS.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            if (value == _threads) return;
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
                throw new InvalidOperationException("ManagedMatrixProduct.Threads changed while a product is running on its threads.");
            _team?.Dispose();   // its workers end; the next threaded product starts a team of the new size
            _team = null;
            _threads = value;
            Volatile.Write(ref _busy, 0);
        }
    }

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
        if (_threads > 1 && (long)m * n * k >= MinParallelWork && Interlocked.CompareExchange(ref _busy, 1, 0) == 0)
        {
            try
            {
                GemmThreaded(transA, transB, m, n, k, alpha, a, b, beta, c);
                Interlocked.Increment(ref _threadedProducts);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
            return;
        }
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

    /// <summary>
    /// The threaded product (see the class summary): the caller packs all of op(A) (m·k values, a 1/n share of the work),
    /// then one round of tasks, each a row block × a group of column panels, runs every k-block of its tiles in order,
    /// packing its own B panels per k-block. The k-blocks, and with them each element's summation order, are those of the
    /// one-thread loop in <see cref="Gemm{T}"/>. One round per product: waking the team per k-block cost more than it
    /// won at the shapes of a training step (batch 32, 784-256-256-10).
    /// </summary>
    private unsafe void GemmThreaded<T>(bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, ReadOnlySpan<T> b, T beta, Span<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ParallelGemm<T> g = typeof(T) == typeof(double)
            ? (ParallelGemm<T>)(object)(_f64 ??= new ParallelGemm<double>(VectorBits))
            : (ParallelGemm<T>)(object)(_f32 ??= new ParallelGemm<float>(VectorBits));
        _team ??= new StepTeam(_threads - 1, _threads, slot => _work!(slot));
        _work = g.Work;
        fixed (T* pb = b, pc = c)
        {
            g.Set(transA, transB, m, n, k, alpha, beta, a, pb, pc);
            _team.Run();
            g.Clear();   // no pointer into the caller's memory outlives the call
        }
    }

    /// <summary>The state of one threaded product in <typeparamref name="T"/>: op(A) packed whole, the caller's B and C
    /// (pinned for the call), the task grid and its counter. The A pack belongs to the instance and only grows; B panels
    /// are packed into each thread's own scratch.</summary>
    private sealed unsafe class ParallelGemm<T>(int vectorBits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Tasks per row block at most: enough for 2-4 threads to balance, few enough that each task's B panels
        /// are reused over a whole MC-row block. A function of the shape only, never of the thread count.</summary>
        private const int PanelGroups = 8;

        private readonly int _nr = 2 * (vectorBits / 8 / Unsafe.SizeOf<T>());
        private bool _transB;
        private int _m, _n, _k, _rows, _panels, _panelsPerTask, _groups, _tasks, _next;
        private T _alpha, _beta;
        private T* _b, _c;
        private T[] _packA = [];

        /// <summary>Runs tasks until none is left; the team calls it once per thread slot.</summary>
        public Action<int> Work => _workDelegate ??= _ => Drain();
        private Action<int>? _workDelegate;

        /// <summary>Takes the product's arguments, packs op(A) for every k-block (k-block kb at kb·KC·rows, its row block
        /// at i0·kc within, rows = whole MC blocks) and lays out the tasks.</summary>
        public void Set(bool transA, bool transB, int m, int n, int k, T alpha, T beta, ReadOnlySpan<T> a, T* b, T* c)
        {
            (_transB, _m, _n, _k, _alpha, _beta) = (transB, m, n, k, alpha, beta);
            _b = b;
            _c = c;
            int rowBlocks = (m + MC - 1) / MC;
            _rows = rowBlocks * MC;
            if (_packA.Length < _rows * k) _packA = new T[_rows * k];
            for (int p0 = 0; p0 < k; p0 += KC)
            {
                int kc = Math.Min(KC, k - p0);
                for (int i0 = 0; i0 < m; i0 += MC) PackA(transA, a, m, k, i0, Math.Min(MC, m - i0), p0, kc, _packA.AsSpan(p0 * _rows + i0 * kc));
            }
            _panels = (n + _nr - 1) / _nr;
            _panelsPerTask = (_panels + PanelGroups - 1) / PanelGroups;
            _groups = (_panels + _panelsPerTask - 1) / _panelsPerTask;
            _tasks = rowBlocks * _groups;
            Volatile.Write(ref _next, 0);
        }

        public void Clear()
        {
            _b = null;
            _c = null;
        }

        private void Drain()
        {
            while (true)
            {
                int t = Interlocked.Increment(ref _next) - 1;
                if (t >= _tasks) return;
                RunTask(t / _groups, t % _groups);
            }
        }

        /// <summary>Row block <paramref name="rowBlock"/> × panels of group <paramref name="group"/>, every k-block in order.</summary>
        private void RunTask(int rowBlock, int group)
        {
            var b = new ReadOnlySpan<T>(_b, _k * _n);
            var c = new Span<T>(_c, _m * _n);
            int i0 = rowBlock * MC, mc = Math.Min(MC, _m - i0);
            int q0 = group * _panelsPerTask, q1 = Math.Min(_panels, q0 + _panelsPerTask);
            T[] packB = Scratch<T>.B(_panelsPerTask * _nr * Math.Min(_k, KC));
            for (int p0 = 0; p0 < _k; p0 += KC)
            {
                int kc = Math.Min(KC, _k - p0);
                T beta = p0 == 0 ? _beta : T.One;
                for (int q = q0; q < q1; q++) PackBPanel(_transB, b, _n, _k, p0, kc, _nr, q, packB.AsSpan((q - q0) * _nr * kc, _nr * kc));
                for (int q = q0; q < q1; q++)
                {
                    int j = q * _nr, cols = Math.Min(_nr, _n - j);
                    ref T bPanel = ref packB[(q - q0) * _nr * kc];
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int rows = Math.Min(MR, mc - ir);
                        ref T aPanel = ref _packA[p0 * _rows + (i0 + ir) * kc];
                        int offset = (i0 + ir) * _n + j;
                        if (vectorBits == 512) Kernel<Width512<T>, Vector512<T>, T>(kc, ref aPanel, ref bPanel, c, offset, _n, rows, cols, _alpha, beta);
                        else Kernel<Width256<T>, Vector256<T>, T>(kc, ref aPanel, ref bPanel, c, offset, _n, rows, cols, _alpha, beta);
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
        for (int q = 0; q < nPanels; q++) PackBPanel(transB, b, n, k, p0, kc, nr, q, pack.AsSpan(q * nr * kc, nr * kc));
    }

    /// <summary>Packs panel q (columns q·nr … q·nr + nr − 1, zero-padded past n) of op(B)[p0..p0+kc, :] into <paramref name="panel"/>, row p at p·nr.</summary>
    private static void PackBPanel<T>(bool transB, ReadOnlySpan<T> b, int n, int k, int p0, int kc, int nr, int q, Span<T> panel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j0 = q * nr;
        int cols = Math.Min(nr, n - j0);
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

    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] into panels of MR rows, element (r, p) of panel s at s·MR·kc + p·MR + r.</summary>
    private static void PackA<T>(bool transA, ReadOnlySpan<T> a, int m, int k, int i0, int mc, int p0, int kc, Span<T> pack)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            Span<T> panel = pack.Slice(ir * kc, MR * kc);
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
