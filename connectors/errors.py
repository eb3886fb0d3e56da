"""The error every connector configuration raises when it cannot work."""


class ConfigError(ValueError):
    """Configuration that cannot work; the message says what to set."""


class RunStopped(RuntimeError):
    """A run must stop, raised in a worker or in the driver: its message says why and what to do.

    On a runner that executes workers elsewhere (the PortableRunner, Flink, Spark, Dataflow) the
    exception comes back as text; pipelines/execution.run_pipeline finds it again by its class name,
    so the same message ends the run with exit 2 on every runner."""
