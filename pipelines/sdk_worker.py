"""The Python SDK worker a Flink or Spark TaskManager starts itself (`--environment_type PROCESS`).

Beam's PROCESS environment runs a command with `--id` and the runner's endpoints, as its SDK
container's `boot` program expects. This is that program for a machine where the project is
installed (its code and dependencies are in place, so nothing is staged): it asks the runner's
provision service for the pipeline options and endpoints, then starts the Fn API harness
(`sdk_worker_main`), logging to the runner.

Why not an EXTERNAL worker pool: a pool serves one TaskManager (a sidecar per node). Two
TaskManagers sharing one pool number their workers alike (both ask for worker "1-1"), and when
one releases its worker the pool stops the other's: its tasks then wait for ever.
`scripts/beam-sdk-worker` runs this module with the project's own interpreter.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import tempfile

import grpc
from apache_beam.portability.api import beam_provision_api_pb2, beam_provision_api_pb2_grpc, endpoints_pb2
from apache_beam.runners.worker import sdk_worker_main
from google.protobuf import json_format, text_format


def _descriptor(url: str) -> str:
    return text_format.MessageToString(endpoints_pb2.ApiServiceDescriptor(url=url))


def semi_persistent_directory(worker_id: str) -> str:
    """The harness's scratch folder: one per worker id, reused by the next job's worker of that id
    (nothing is staged, so the harness keeps nothing there), so that runs leave no growing pile of
    folders in the system temp; removed when the worker ends, if it ends on its own."""
    path = os.path.join(tempfile.gettempdir(), f"algoitny-etl-sdk-worker-{worker_id}")
    os.makedirs(path, exist_ok=True)
    atexit.register(_remove_if_empty, path)
    return path


def _remove_if_empty(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass  # not empty, gone, or another worker of that id uses it


def environment_for(worker_id: str, provision_endpoint: str, control: str | None, logging: str | None) -> dict:
    """What `boot` hands the harness, from the runner's provision service."""
    with grpc.insecure_channel(provision_endpoint) as channel:
        info = beam_provision_api_pb2_grpc.ProvisionServiceStub(channel).GetProvisionInfo(
            beam_provision_api_pb2.GetProvisionInfoRequest(), metadata=[("worker_id", worker_id)]).info
    environment = {
        "WORKER_ID": worker_id,
        "PIPELINE_OPTIONS": json_format.MessageToJson(info.pipeline_options),
        "CONTROL_API_SERVICE_DESCRIPTOR": _descriptor(control or info.control_endpoint.url),
        "LOGGING_API_SERVICE_DESCRIPTOR": _descriptor(logging or info.logging_endpoint.url),
        "SEMI_PERSISTENT_DIRECTORY": semi_persistent_directory(worker_id),
        "RUNNER_CAPABILITIES": " ".join(info.runner_capabilities),
    }
    if info.status_endpoint.url:
        environment["STATUS_API_SERVICE_DESCRIPTOR"] = _descriptor(info.status_endpoint.url)
    return environment


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--id", required=True)
    parser.add_argument("--provision_endpoint", required=True)
    parser.add_argument("--control_endpoint")
    parser.add_argument("--logging_endpoint")
    parser.add_argument("--artifact_endpoint")  # nothing is staged: the code is installed here
    parser.add_argument("--semi_persistent_directory")
    args, _ = parser.parse_known_args(argv)
    os.environ.update(environment_for(args.id, args.provision_endpoint, args.control_endpoint, args.logging_endpoint))
    sdk_worker_main.main(sys.argv)


if __name__ == "__main__":
    main()
