"""The DirectRunner is pinned: a local run never tries Beam's Prism download, on any flags."""

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.portability import prism_runner
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


def test_beam_s_own_direct_runner_tries_prism_first(prism_attempts):
    _doubled(beam.Pipeline(options=PipelineOptions([])))
    assert len(prism_attempts) == 1  # what the pin is for: without it every run tries


@pytest.mark.parametrize("flags", [[], ["--runner", "DirectRunner"], ["--runner", "direct"],
                                   ["--direct_num_workers=2", "--direct_running_mode=multi_threading"]])
def test_the_tool_s_local_runs_never_do(prism_attempts, flags):
    _doubled(new_pipeline(PipelineOptions(flags)))
    assert prism_attempts == []
