using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BioSim.Circuits.Neurons.Lif;

/// <summary>
/// The vector operations of the LIF step over doubles, as static members of a struct, so that the step written once over
/// <c>TLanes : struct, IDoubleLanes&lt;TVector&gt;</c> is compiled for 512-bit vectors on AVX-512 machines and 256-bit ones on
/// AVX2 machines, every call inlined. (<c>Vector&lt;double&gt;</c> stays 256 bits wide on AVX-512 unless the process is started
/// with DOTNET_MaxVectorTBitWidth=512, which neither runtimeconfig.json nor the test host can set.)
/// Masks are vectors of all-ones or all-zeros lanes, as the comparisons return them.
/// </summary>
/// <typeparam name="TVector"><see cref="Vector512{T}"/> or <see cref="Vector256{T}"/> of double.</typeparam>
internal interface IDoubleLanes<TVector>
    where TVector : struct
{
    /// <summary>Doubles per vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector at <paramref name="source"/> + <paramref name="offset"/> elements.</summary>
    static abstract TVector Load(ref double source, nuint offset);

    /// <summary>Writes <paramref name="value"/> at <paramref name="destination"/> + <paramref name="offset"/> elements.</summary>
    static abstract void Store(TVector value, ref double destination, nuint offset);

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TVector Create(double value);

    /// <summary>a + b per lane.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a − b per lane.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>a · b per lane (no fused multiply-add: the scalar path must round the same way).</summary>
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>max(a, b) per lane, the processor's own instruction (one vmaxpd; the IEEE maximum costs three on AVX-512): where
    /// a lane is NaN, or the two are zeros of opposite sign, it may give either operand, so use it only in bounds whose NaN the
    /// caller catches otherwise (the exact step's threshold bound: a NaN state makes V NaN, which the threshold test catches).</summary>
    static abstract TVector Max(TVector a, TVector b);

    /// <summary>Mask of a ≥ b.</summary>
    static abstract TVector GreaterThanOrEqual(TVector a, TVector b);

    /// <summary>Mask of a &gt; b.</summary>
    static abstract TVector GreaterThan(TVector a, TVector b);

    /// <summary>Mask of a &lt; b (false where either is NaN).</summary>
    static abstract TVector LessThan(TVector a, TVector b);

    /// <summary>a and not b, bitwise.</summary>
    static abstract TVector AndNot(TVector a, TVector b);

    /// <summary>a or b, bitwise.</summary>
    static abstract TVector Or(TVector a, TVector b);

    /// <summary>Not a, bitwise.</summary>
    static abstract TVector Not(TVector a);

    /// <summary>Lanes of <paramref name="whenTrue"/> where <paramref name="mask"/> is set, of <paramref name="whenFalse"/> elsewhere.</summary>
    static abstract TVector Select(TVector mask, TVector whenTrue, TVector whenFalse);

    /// <summary>Whether any lane of <paramref name="mask"/> is set.</summary>
    static abstract bool Any(TVector mask);
}

/// <summary>512-bit lanes (8 doubles, AVX-512).</summary>
internal readonly struct Lanes512 : IDoubleLanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Load(ref double source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Create(double value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Subtract(Vector512<double> a, Vector512<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Multiply(Vector512<double> a, Vector512<double> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Max(Vector512<double> a, Vector512<double> b) => Vector512.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> GreaterThanOrEqual(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> GreaterThan(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> LessThan(Vector512<double> a, Vector512<double> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> AndNot(Vector512<double> a, Vector512<double> b) => Vector512.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Or(Vector512<double> a, Vector512<double> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Not(Vector512<double> a) => ~a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Select(Vector512<double> mask, Vector512<double> whenTrue, Vector512<double> whenFalse) =>
        Vector512.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector512<double> mask) => mask.AsUInt64() != Vector512<ulong>.Zero;
}

/// <summary>256-bit lanes (4 doubles, AVX2).</summary>
internal readonly struct Lanes256 : IDoubleLanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Load(ref double source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<double> value, ref double destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Create(double value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Subtract(Vector256<double> a, Vector256<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Multiply(Vector256<double> a, Vector256<double> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Max(Vector256<double> a, Vector256<double> b) => Vector256.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> GreaterThanOrEqual(Vector256<double> a, Vector256<double> b) => Vector256.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> GreaterThan(Vector256<double> a, Vector256<double> b) => Vector256.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> LessThan(Vector256<double> a, Vector256<double> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> AndNot(Vector256<double> a, Vector256<double> b) => Vector256.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Or(Vector256<double> a, Vector256<double> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Not(Vector256<double> a) => ~a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Select(Vector256<double> mask, Vector256<double> whenTrue, Vector256<double> whenFalse) =>
        Vector256.ConditionalSelect(mask, whenTrue, whenFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector256<double> mask) => mask.AsUInt64() != Vector256<ulong>.Zero;
}
