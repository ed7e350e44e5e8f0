using BioSim.Engine.Random;

namespace BioSim.Plasticity.Data;

/// <summary>
/// Synthetic regression tasks: inputs x ~ N(0, I) (or on the unit sphere), targets from a fixed random
/// teacher, y = T x (linear, Lillicrap et al. 2016 Fig. 2) or y = V tanh(U x) (tanh teacher).
/// Everything is drawn from streams keyed by the seed and the task's name.
/// </summary>
public static class TeacherStudent
{
    /// <summary>y = T x with T_ij ~ U[−1, 1] (returned for tests), x ~ N(0, I), or unit-norm rows.</summary>
    public static Dataset Linear(int inputs, int outputs, int samples, ulong seed, out double[] teacher, bool unitNormInputs = false)
    {
        var rt = new RandomStream(seed, "teacher-student/linear", "T");
        teacher = new double[outputs * inputs];
        for (int i = 0; i < teacher.Length; i++) teacher[i] = 2 * rt.NextDouble() - 1;
        var x = Inputs(inputs, samples, seed, "linear", unitNormInputs);
        var y = new float[samples * outputs];
        for (int s = 0; s < samples; s++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (int i = 0; i < inputs; i++) sum += teacher[o * inputs + i] * x[s * inputs + i];
                y[s * outputs + o] = (float)sum;
            }
        }
        return new Dataset("teacher-student/linear", inputs, x, y, outputs);
    }

    /// <summary>y = V tanh(U x), U_ij ~ N(0, 1/inputs), V_ij ~ N(0, 1/hidden); x ~ N(0, I), or unit-norm rows.</summary>
    public static Dataset Tanh(int inputs, int hidden, int outputs, int samples, ulong seed, bool unitNormInputs = false)
    {
        var ru = new RandomStream(seed, "teacher-student/tanh", "U");
        var rv = new RandomStream(seed, "teacher-student/tanh", "V");
        var u = new double[hidden * inputs];
        for (int i = 0; i < u.Length; i++) u[i] = ru.NextGaussian() / Math.Sqrt(inputs);
        var v = new double[outputs * hidden];
        for (int i = 0; i < v.Length; i++) v[i] = rv.NextGaussian() / Math.Sqrt(hidden);
        var x = Inputs(inputs, samples, seed, "tanh", unitNormInputs);
        var y = new float[samples * outputs];
        var h = new double[hidden];
        for (int s = 0; s < samples; s++)
        {
            for (int j = 0; j < hidden; j++)
            {
                double z = 0;
                for (int i = 0; i < inputs; i++) z += u[j * inputs + i] * x[s * inputs + i];
                h[j] = Math.Tanh(z);
            }
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (int j = 0; j < hidden; j++) sum += v[o * hidden + j] * h[j];
                y[s * outputs + o] = (float)sum;
            }
        }
        return new Dataset("teacher-student/tanh", inputs, x, y, outputs);
    }

    /// <summary>Rows of N(0, I), or the same rows scaled to unit Euclidean norm (in double, then stored).</summary>
    public static float[] Inputs(int inputs, int samples, ulong seed, string task, bool unitNorm)
    {
        var rx = new RandomStream(seed, $"teacher-student/{task}", "x");
        var x = new float[samples * inputs];
        var row = new double[inputs];
        for (int s = 0; s < samples; s++)
        {
            double norm = 0;
            for (int i = 0; i < inputs; i++) { row[i] = rx.NextGaussian(); norm += row[i] * row[i]; }
            double scale = unitNorm ? 1.0 / Math.Sqrt(norm) : 1.0;
            for (int i = 0; i < inputs; i++) x[s * inputs + i] = (float)(row[i] * scale);
        }
        return x;
    }
}
