"""Which Beam runners the tool runs on, refusing the others before anything runs.

Proven here, by the conformance suite (tests/integration/test_runners.py), on every command:
the DirectRunner in one process and in several (multi_processing), the PortableRunner with an
EXTERNAL worker pool, the FlinkRunner on a real Flink 1.19 session cluster of two
TaskManagers (scripts/engines.py), a TaskManager killed mid-load included, and the SparkRunner
through Beam's Spark job server on a Spark 3.5 standalone cluster (scripts/engines.py). Those
are the runners the tool accepts. Prism 2.62.0 (scripts/engines.py builds it) passed the suite
alone, then ended a failed job as a success under load: refused (WHY_NOT).

Any other runner is refused unless --allow-untested-runner: a runner that executes part of a
pipeline differently can lose data without an error. Dataflow cannot be reached from here, so
it is not proven. The DaskRunner (Beam 2.62 as 2.77) is the case in point of a runner that
loses data: it executes only the branch that ends at the last transform, mixes tagged outputs
into the main output, and drops what finish_bundle emits (Beam issue 24578, and its own
transform_evaluator.py), so dead letters and the writer's last batches would vanish.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import common_urns

PROVEN = ("DirectRunner", "PortableRunner", "FlinkRunner", "SparkRunner")
_ALIASES = {
    "direct": "DirectRunner", "directrunner": "DirectRunner", "switchingdirectrunner": "DirectRunner",
    "bundlebaseddirectrunner": "DirectRunner", "testdirectrunner": "DirectRunner",
    "portable": "PortableRunner", "portablerunner": "PortableRunner",
    "dataflow": "DataflowRunner", "dataflowrunner": "DataflowRunner",
    "flink": "FlinkRunner", "flinkrunner": "FlinkRunner",
    "prism": "PrismRunner", "prismrunner": "PrismRunner",
    "spark": "SparkRunner", "sparkrunner": "SparkRunner",
}
WHY_NOT = {
    "dataflowrunner": "Dataflow is out of this project's reach, so its conformance suite has never run there",
    "prismrunner": "Beam 2.62.0's Prism can end a job as a success after a bundle failed, when a split request "
                   "races the failure (Beam pull request 35337, fixed after 2.62; the newer Prism binaries that have "
                   "the fix do not work with this SDK): seen here under load, a migrate whose writes DynamoDB refused "
                   "exited 0",
    "daskrunner": "Beam's DaskRunner executes only the branch that ends at the last transform, mixes tagged outputs "
                  "into the main output and drops what finish_bundle emits (Beam issue 24578): dead letters and the "
                  "writer's last batches would vanish without an error",
}


class RunnerRefused(ValueError):
    """The runner is not one the tool has been proven on; the message says which are."""


def runner_of(pipeline_options: PipelineOptions) -> str:
    """The runner the options name, as its class name (DirectRunner when none is named)."""
    named = pipeline_options.get_all_options().get("runner")
    if not named:
        return "DirectRunner"
    name = named if isinstance(named, str) else type(named).__name__
    short = name.rsplit(".", 1)[-1]
    return _ALIASES.get(short.lower(), short)


def check_runner(pipeline_options: PipelineOptions, allow_untested: bool) -> str:
    runner = runner_of(pipeline_options)
    values = pipeline_options.get_all_options()
    if runner == "PrismRunner" and not values.get("job_endpoint") and not values.get("prism_location"):
        # Beam would download a Prism binary from GitHub, of a version the suite never ran
        raise RunnerRefused("the PrismRunner needs --job_endpoint of a running Prism (`make prism-up` starts "
                            "Beam 2.62.0's on localhost:18073) or --prism_location PATH of its binary: the tool "
                            "never downloads one")
    if runner in PROVEN or allow_untested:
        return runner
    why = WHY_NOT.get(runner.lower())
    raise RunnerRefused(
        f"the {runner} is not one this tool has been proven on" + (f": {why}" if why else "")
        + f". It runs on {', '.join(PROVEN)} (proven by its conformance tests). --allow-untested-runner runs it "
          "anyway, at your own risk")


def is_distributed(pipeline_options: PipelineOptions) -> bool:
    """Whether workers may run elsewhere than this process's machine (anything but the DirectRunner)."""
    return runner_of(pipeline_options) != "DirectRunner"


def local_runner(pipeline_options: PipelineOptions):
    """The runner the DirectRunner stands for here: Beam's FnApiRunner, built as Beam 2.77's
    DirectRunner builds it, without the DirectRunner's first step. That step downloads Prism from
    GitHub on every run and, where the download works, runs the pipeline on Prism instead
    (apache_beam/runners/direct/direct_runner.py): a runner the suite did not prove, chosen by
    whether the machine reaches GitHub. Pinned, a local run never waits on a download."""
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(pipeline_options.get_all_options())
    return fn_runner.FnApiRunner(provision_info=fn_runner.ExtendedProvisionInfo(
        beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)))


def flatten_inputs_coded_as_output(proto) -> None:
    """Give each Flatten's inputs the coder of its output, in the pipeline proto sent to Prism.

    Prism 2.62.0 makes a Flatten a runner transform and, where an input's coder differs from the
    output's, substitutes the output's coder for the input's coder id across the whole pipeline
    (handlerunner.go, handleFlatten). Python gives a Flatten feeding a GroupByKey or a Combine a
    KV output coder while its inputs keep the pickled coder every untyped PCollection shares, so
    every such PCollection became a KV and Prism failed with "unknown coder urn key:
    beam:coder:pickled_python:v1" (Beam 2.70.0's Prism injects an SDK-side Flatten instead). The
    inputs already carry the pairs the GroupByKey needs, so coding them as the output does is
    what the SDK would otherwise do at the Flatten; a PCollection that feeds two Flattens of
    different coders is left alone (none does here)."""
    flatten = common_urns.primitives.FLATTEN.urn
    collections = proto.components.pcollections
    changed = True
    while changed:  # a Flatten of Flattens: until every input is coded as its Flatten's output
        changed = False
        wanted: dict[str, set[str]] = {}
        for transform in proto.components.transforms.values():
            if transform.spec.urn == flatten and len(transform.outputs) == 1:
                coder = collections[next(iter(transform.outputs.values()))].coder_id
                for pcollection in transform.inputs.values():
                    wanted.setdefault(pcollection, set()).add(coder)
        for pcollection, coders in wanted.items():
            if len(coders) == 1 and collections[pcollection].coder_id not in coders:
                collections[pcollection].coder_id = next(iter(coders))
                changed = True


def _prism_runner():
    from apache_beam.runners.portability.prism_runner import PrismRunner

    class Prism262Runner(PrismRunner):
        """Beam's PrismRunner, its pipeline proto made safe for Prism 2.62.0's Flatten."""

        @staticmethod
        def _optimize_pipeline(proto_pipeline, options):
            optimized = PrismRunner._optimize_pipeline(proto_pipeline, options)
            flatten_inputs_coded_as_output(optimized)
            return optimized

    return Prism262Runner()


def new_pipeline(pipeline_options: PipelineOptions) -> beam.Pipeline:
    """A pipeline on the runner the options name; the DirectRunner pinned to `local_runner`, the
    PrismRunner sending Prism 2.62.0 a pipeline its Flatten handles."""
    runner = {"DirectRunner": local_runner, "PrismRunner": lambda _: _prism_runner()}.get(
        runner_of(pipeline_options), lambda _: None)(pipeline_options)
    return beam.Pipeline(runner=runner, options=pipeline_options)
