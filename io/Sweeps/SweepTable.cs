using System.Globalization;
using System.Text;
using System.Text.Json;
using BioSim.IO.Hdf5;

namespace BioSim.IO.Sweeps;

/// <summary>One column of a sweep's table: numbers (NaN where a task has none) or text.</summary>
/// <param name="Name">The column's name (a parameter's path, "seed", "state", a metric such as "rate_hz.exc").</param>
/// <param name="Numbers">One number per task, or null for a text column.</param>
/// <param name="Texts">One text per task, or null for a number column.</param>
public sealed record SweepColumn(string Name, double[]? Numbers, string[]? Texts)
{
    /// <summary>The cell of task row <paramref name="row"/> as CSV text (numbers in round-trip form, NaN as empty).</summary>
    public string Cell(int row) => Numbers is { } n
        ? double.IsNaN(n[row]) ? "" : n[row].ToString("R", CultureInfo.InvariantCulture)
        : Texts![row];
}

/// <summary>
/// Writes the table of a sweep (<c>biosim sweep collect</c>): one row per task, one column per parameter and result.
/// CSV (header row, RFC 4180 quoting, numbers in round-trip form, an empty cell for a missing number) and HDF5:
/// <c>/table/&lt;column&gt;</c>, float64 [tasks] for number columns, and for text columns a string dataset holding a JSON
/// array of the texts (attribute <c>encoding</c> = "json-array"); <c>/table</c>'s attribute <c>columns</c> lists the
/// columns in order (JSON array), the root's attributes name the sweep.
/// </summary>
public static class SweepTable
{
    /// <summary>Writes <paramref name="columns"/> (all of the same length) to <paramref name="csvPath"/> and <paramref name="h5Path"/>,
    /// replacing them; <paramref name="attributes"/> go to the HDF5 root.</summary>
    public static void Write(string csvPath, string h5Path, IReadOnlyList<SweepColumn> columns, IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(attributes);
        int rows = columns.Count == 0 ? 0 : columns[0].Numbers?.Length ?? columns[0].Texts!.Length;
        var csv = new StringBuilder();
        csv.AppendJoin(',', columns.Select(c => Quote(c.Name))).Append('\n');
        for (int r = 0; r < rows; r++) csv.AppendJoin(',', columns.Select(c => Quote(c.Cell(r)))).Append('\n');
        File.WriteAllText(csvPath, csv.ToString());

        using var file = Hdf5File.Create(h5Path);
        foreach (var (name, value) in attributes) file.SetAttribute(name, value);
        using var table = file.CreateGroup("table");
        table.SetAttribute("columns", JsonSerializer.Serialize(columns.Select(c => c.Name).ToArray()));
        foreach (var column in columns)
        {
            // A column's name may hold '/' only as a path would; HDF5 paths cannot, so it becomes '|'.
            string dataset = column.Name.Replace('/', '|');
            if (column.Numbers is { } numbers)
            {
                using var d = table.CreateDataset<double>(dataset, numbers);
            }
            else
            {
                table.WriteDataset(dataset, JsonSerializer.Serialize(column.Texts));
                using var d = table.OpenDataset(dataset);
                d.SetAttribute("encoding", "json-array");
            }
        }
        file.Flush();
    }

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
