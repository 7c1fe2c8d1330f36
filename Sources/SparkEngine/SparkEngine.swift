/// The control plane: agents, tools, tasks, crews, the supervisor.
public enum SparkEngine {}
