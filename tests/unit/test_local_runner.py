"""The DirectRunner is pinned to the FnApiRunner: a local run never tries Beam's Prism download,
on any flags (Beam 2.68+ try it first on every run; 2.62 whenever the FnApiRunner cannot run a
pipeline)."""

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability import prism_runner
from apache_beam.runners.portability.fn_api_runner import fn_runner
from apache_beam.testing.util import assert_that, equal_to

from pipelines.runners import new_pipeline


@pytest.fixture
def prism_attempts(monkeypatch):
    """Each time Beam would start Prism; the attempt fails at once, as it does without GitHub."""
    attempts = []

    def attempt(self, pipeline, options):
        attempts.append(options)
        raise RuntimeError("no Prism here")

    monkeypatch.setattr(prism_runner.PrismRunner, "run_pipeline", attempt)
    return attempts


def _doubled(pipeline):
    with pipeline as p:
        assert_that(p | beam.Create([1, 2, 3]) | beam.Map(lambda x: 2 * x), equal_to([2, 4, 6]))


@pytest.mark.parametrize("flags", [[], ["--runner", "DirectRunner"], ["--runner", "direct"]])
def test_the_direct_runner_is_the_fn_api_runner(flags):
    assert isinstance(new_pipeline(PipelineOptions(flags)).runner, fn_runner.FnApiRunner)


@pytest.mark.parametrize("flags", [[], ["--runner", "DirectRunner"], ["--runner", "direct"],
                                   ["--direct_num_workers=2", "--direct_running_mode=multi_threading"]])
def test_the_tool_s_local_runs_never_do(prism_attempts, flags):
    _doubled(new_pipeline(PipelineOptions(flags)))
    assert prism_attempts == []


@pytest.mark.parametrize("flags, allow_untested, refused", [
    (["--runner", "PrismRunner"], True, "never downloads"),  # Beam would download Prism from GitHub
    (["--runner", "PrismRunner", "--job_endpoint", "localhost:18073"], False, "35337"),  # can end a failed job as DONE
    (["--runner", "PrismRunner", "--job_endpoint", "localhost:18073"], True, None),
    (["--runner", "PrismRunner", "--prism_location", "/opt/prism"], True, None),
])
def test_the_prism_runner_is_refused_and_never_downloaded(flags, allow_untested, refused):
    from pipelines.runners import RunnerRefused, check_runner

    if refused:
        with pytest.raises(RunnerRefused, match=refused):
            check_runner(PipelineOptions(flags), allow_untested=allow_untested)
    else:
        assert check_runner(PipelineOptions(flags), allow_untested=allow_untested) == "PrismRunner"
