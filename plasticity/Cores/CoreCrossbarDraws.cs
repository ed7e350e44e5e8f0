using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BioSim.Engine.Random;

namespace BioSim.Plasticity.Cores;

/// <summary>
/// The crossbar draws of a deployment (<see cref="CoreDeployment"/>): connection (i, j) of a core with A axons and N neurons,
/// trained probability c_ij, is present in the copy when the 32-bit draw n = i·N + j is below c_ij·2³² (probability c_ij to
/// 2⁻³²). Draw n is word n mod 4 of the Philox4x32-10 block (<see cref="Philox"/>) with key (seed) and counter (⌊n/4⌋, element,
/// 0, <see cref="Purpose"/>), element = copy · cores per copy + core: a function of (seed, copy, core, i, j) only.
/// <see cref="SampleReference"/> is this definition draw by draw; <see cref="Sample"/> computes the same bits eight blocks
/// (32 draws) at a time with AVX-512.
/// </summary>
public static class CoreCrossbarDraws
{
    /// <summary>The fourth counter word of the crossbar draws ("xbar"; the input draws use "core").</summary>
    public const uint Purpose = 0x78626172;

    /// <summary>The definition: <paramref name="columns"/> (256 × 4 words, cleared first) gets bit i mod 64 of word
    /// 4j + i / 64 for every present connection (i, j) of the core with probabilities <paramref name="c"/> (axons × neurons,
    /// row-major).</summary>
    public static void SampleReference(ulong seed, uint element, ReadOnlySpan<double> c, int axons, int neurons, Span<ulong> columns)
    {
        Check(c, axons, neurons, columns);
        columns.Clear();
        for (int n = 0; n < axons * neurons; n++)
        {
            var (x0, x1, x2, x3) = Philox.Block((uint)(n / 4), element, 0, Purpose, (uint)seed, (uint)(seed >> 32));
            uint u = (n % 4) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
            if (u < c[n] * 4294967296.0) Set(columns, n / neurons, n % neurons);
        }
    }

    /// <summary>The same bits as <see cref="SampleReference"/>: 32 draws per eight Philox blocks in AVX-512 lanes, compared
    /// with c·2³² as doubles (exact: u and c·2³² are both exact doubles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sample(ulong seed, uint element, ReadOnlySpan<double> c, int axons, int neurons, Span<ulong> columns)
    {
        Check(c, axons, neurons, columns);
        if (!Avx512F.IsSupported || neurons % 32 != 0)
        {
            SampleReference(seed, element, c, axons, neurons, columns);
            return;
        }
        columns.Clear();
        var scale = Vector512.Create(4294967296.0);
        // lanes 0-7 of the two 16-word halves, in draw order: (x0, x1, x2, x3) of block 0, of block 1, ...
        var pairs = Vector512.Create(0u, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
        var low = Vector512.Create(0u, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
        var high = Vector512.Create(8u, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
        for (int n0 = 0; n0 < axons * neurons; n0 += 32)
        {
            CoreInputSpikes.Block8(Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) + Vector512.Create((ulong)(n0 / 4)), element, 0, Purpose,
                (uint)seed, (uint)(seed >> 32), out var x0, out var x1, out var x2, out var x3);
            var t01 = Avx512F.PermuteVar16x32x2(x0.AsUInt32(), pairs, x1.AsUInt32());
            var t23 = Avx512F.PermuteVar16x32x2(x2.AsUInt32(), pairs, x3.AsUInt32());
            var first = Avx512F.PermuteVar16x32x2(t01, low, t23);    // draws n0 … n0 + 15
            var second = Avx512F.PermuteVar16x32x2(t01, high, t23);  // draws n0 + 16 … n0 + 31
            ref readonly double p = ref c[n0];
            uint hits = (uint)(Below(first.GetLower(), ref Unsafe.AsRef(in p), 0, scale)
                | Below(first.GetUpper(), ref Unsafe.AsRef(in p), 8, scale) << 8
                | Below(second.GetLower(), ref Unsafe.AsRef(in p), 16, scale) << 16
                | Below(second.GetUpper(), ref Unsafe.AsRef(in p), 24, scale) << 24);
            // 32 draws of one axon row (N is a multiple of 32): neurons j0 … j0 + 31
            int i = n0 / neurons, j0 = n0 % neurons;
            for (; hits != 0; hits &= hits - 1) Set(columns, i, j0 + BitOperations.TrailingZeroCount(hits));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Below(Vector256<uint> u, ref double c, int offset, Vector512<double> scale) =>
        Vector512.LessThan(Avx512F.ConvertToVector512Double(u), Vector512.LoadUnsafe(ref c, (nuint)offset) * scale).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Set(Span<ulong> columns, int axon, int neuron) => columns[4 * neuron + axon / 64] |= 1UL << (axon % 64);

    private static void Check(ReadOnlySpan<double> c, int axons, int neurons, Span<ulong> columns)
    {
        if (axons is < 1 or > 256 || neurons is < 1 or > 256) throw new ArgumentException($"a core has 1-256 axons and neurons, not {axons} and {neurons}");
        if (c.Length != axons * neurons) throw new ArgumentException($"give {axons * neurons} probabilities", nameof(c));
        if (columns.Length != 256 * 4) throw new ArgumentException("give 1024 words for the columns", nameof(columns));
    }
}
