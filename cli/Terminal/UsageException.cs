namespace BioSim.Cli.Terminal;

/// <summary>A command-line option with a value the command cannot use; <see cref="Program.Guard"/> prints the message and exits with <see cref="ExitCodes.BadInput"/>.</summary>
internal sealed class UsageException(string message) : Exception(message);
