"""What the tool sends Prism 2.62.0: every Flatten's inputs coded as its output, so Prism's
runner-side Flatten never substitutes a coder across the pipeline (pipelines/runners.py)."""

from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import common_urns

from pipelines.runners import flatten_inputs_coded_as_output, new_pipeline


def _flatten_into_a_combine():
    """migrate's shape: untyped pairs from two branches, flattened, summed per key."""
    p = beam.Pipeline(options=PipelineOptions([]))
    left = p | "Left" >> beam.Create([("a", 1)]) | "L" >> beam.Map(lambda x: x).with_output_types(Any)
    right = p | "Right" >> beam.Create([("b", 2)]) | "R" >> beam.Map(lambda x: x).with_output_types(Any)
    alone = p | "Alone" >> beam.Create([{"x": 1}]) | "A" >> beam.Map(lambda x: x).with_output_types(Any)
    _ = (left, right) | "All" >> beam.Flatten() | "Sum" >> beam.CombinePerKey(sum)
    _ = alone | "Show" >> beam.Map(str)
    return p.to_runner_api()


def _flattens(proto):
    return [t for t in proto.components.transforms.values() if t.spec.urn == common_urns.primitives.FLATTEN.urn]


def test_a_flatten_s_inputs_take_its_output_coder_and_nothing_else_changes():
    proto = _flatten_into_a_combine()
    collections = proto.components.pcollections
    (flatten,) = _flattens(proto)
    output = collections[next(iter(flatten.outputs.values()))].coder_id
    assert {collections[c].coder_id for c in flatten.inputs.values()} != {output}  # what Prism 2.62 mishandles
    before = {c: p.coder_id for c, p in collections.items() if c not in flatten.inputs.values()}
    assert set(before.values()) & {collections[c].coder_id for c in flatten.inputs.values()}  # a coder shared

    flatten_inputs_coded_as_output(proto)

    assert {collections[c].coder_id for c in flatten.inputs.values()} == {output}
    assert {c: collections[c].coder_id for c in before} == before


def test_the_prism_runner_sends_the_rewritten_proto():
    runner = new_pipeline(PipelineOptions(["--runner", "PrismRunner"])).runner
    proto = _flatten_into_a_combine()
    sent = runner._optimize_pipeline(proto, PipelineOptions([]))
    collections = sent.components.pcollections
    for flatten in _flattens(sent):
        output = collections[next(iter(flatten.outputs.values()))].coder_id
        assert {collections[c].coder_id for c in flatten.inputs.values()} == {output}
