using BioSim.Engine.Plugins;
using BioSim.Plasticity.Data;
using Microsoft.Extensions.DependencyInjection;

namespace BioSim.IO.Compare;

/// <summary>Registers the comparison tasks by name.</summary>
public static class ComparisonTaskServiceCollectionExtensions
{
    /// <summary>Registers "fashion-mnist" and "teacher-student" as <see cref="ITask"/> plug-ins.</summary>
    public static IServiceCollection AddComparisonTasks(this IServiceCollection services)
    {
        services.AddPlugin<ITask, FashionMnistTask>("fashion-mnist");
        services.AddPlugin<ITask, TeacherStudentTask>("teacher-student");
        return services;
    }

    /// <summary>The data of <paramref name="task"/> from the task the catalogue knows by its type; an unknown one lists the known ones.</summary>
    public static (Dataset Train, Dataset Test) LoadTask(this Catalogue catalogue, TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(task);
        return catalogue.Get<ITask>(task.Type, "task").Load(task);
    }
}
