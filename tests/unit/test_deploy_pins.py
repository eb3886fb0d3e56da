"""One Beam everywhere: the SDK the project installs, the job servers scripts/engines.py fetches
and the worker image in deploy/Dockerfile must be the same version (Beam guarantees nothing
across versions), and the image's Python the one the suite runs on. No Docker engine runs here,
so the Dockerfile is read, not built: every path it copies must exist."""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _pinned_beam() -> str:
    return re.search(r"^apache-beam==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)


def test_setup_constraints_engines_and_image_pin_the_same_beam():
    beam = _pinned_beam()
    assert f'"apache-beam=={beam}"' in (ROOT / "setup.py").read_text()
    assert re.search(rf'^BEAM_VERSION = "{re.escape(beam)}"', (ROOT / "scripts" / "engines.py").read_text(), re.M)
    assert (ROOT / "scripts" / "engine-locks" / f"flink-1.19-job-server-{beam}.lock").exists()
    assert re.search(rf"^FROM apache/beam_python\d+\.\d+_sdk:{re.escape(beam)}$",
                     (ROOT / "deploy" / "Dockerfile").read_text(), re.M)


def test_the_image_runs_the_python_the_suite_runs_on():
    image_python = re.search(r"^FROM apache/beam_python(\d+)\.(\d+)_sdk:", (ROOT / "deploy" / "Dockerfile").read_text(),
                             re.M).groups()
    assert tuple(map(int, image_python)) == sys.version_info[:2]


def test_everything_the_dockerfile_copies_exists():
    copied = [part for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")
              for part in line.split()[1:-1]]
    assert copied and all((ROOT / path).exists() for path in copied), copied


def test_the_image_copies_every_package_the_project_installs():
    setup = (ROOT / "setup.py").read_text()
    packages = re.findall(r'"(\w+)\*"', setup)
    copied = {line.split()[1] for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ")}
    assert packages and set(packages) <= copied, set(packages) - copied
