"""The package's shape, held by its import graph: which layer may import which.

schema/ is pure (no Beam, no IO library); each connector's plain modules know nothing of
Beam (only its beam_io.py does), and neither does the tool's state (state/), which sits
above the connectors; repositories/ reach DynamoDB through the connector, never
through the ETL's transforms; nothing imports upwards (a connector never imports a domain
transform, a transform never imports a driver). Modules stay small: a module over 300 lines names its
reason in a field of its opening docstring, a line of its own `Long because: <reason>`; a
module that carries the field but is not long fails too (the reason is stale).
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("schema", "connectors", "state", "transforms", "pipelines", "reports", "repositories", "sample_data")
IO_LIBRARIES = ("apache_beam", "boto3", "botocore", "sqlalchemy", "pymysql", "urllib3", "pymysqlreplication")
# Upward imports no layer may make: importer package -> packages it must not import.
FORBIDDEN = {
    "schema": set(PACKAGES) - {"schema"},
    "connectors": {"state", "transforms", "pipelines", "reports", "repositories", "sample_data"},
    "state": {"transforms", "pipelines", "reports", "repositories", "sample_data"},
    "transforms": {"pipelines", "reports", "repositories", "sample_data"},
    "reports": {"pipelines", "repositories"},
    "repositories": {"transforms", "pipelines", "reports", "sample_data"},
    "sample_data": {"transforms", "pipelines", "reports"},  # the application's activity goes through repositories/
}
MAX_LINES = 300
LONG_BECAUSE = re.compile(r"^Long because:(.*(?:\n[ \t]+\S.*)*)", re.MULTILINE)  # indented lines continue it


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT)


def imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def top(name: str) -> str:
    return name.split(".", 1)[0]


def is_plain_connector(path: pathlib.Path) -> bool:
    """A connector module that is not a Beam wrapper: connectors/<system>/*.py other than beam_io.py.

    connectors/files/ wraps Beam's own filesystems (s3://, gs://), and connectors/windowing.py is a
    Beam helper; both are Beam-side by nature.
    """
    parts = path.parts
    return (len(parts) == 3 and parts[0] == "connectors" and parts[1] in ("mysql", "dynamodb")
            and parts[2] != "beam_io.py")


@pytest.mark.parametrize("path", list(modules()), ids=str)
def test_no_import_runs_up_a_layer(path):
    package = path.parts[0]
    wrong = sorted(name for name in imports(path) if top(name) in FORBIDDEN.get(package, ()))
    assert not wrong, f"{path} imports {wrong}"


@pytest.mark.parametrize("path", [p for p in modules() if p.parts[0] == "schema"], ids=str)
def test_schema_is_pure(path):
    wrong = sorted(name for name in imports(path) if top(name) in IO_LIBRARIES)
    assert not wrong, f"{path} imports {wrong}"


@pytest.mark.parametrize("path", [p for p in modules() if is_plain_connector(p) or p.parts[0] == "state"], ids=str)
def test_plain_connector_modules_know_nothing_of_beam(path):
    wrong = sorted(name for name in imports(path)
                   if top(name) == "apache_beam" or name.endswith(".beam_io") or ".beam_io." in name)
    assert not wrong, f"{path} imports {wrong}"


def test_the_domain_transforms_talk_to_no_client_directly():
    """transforms/ reach MySQL and DynamoDB through the connectors, not through boto3 or SQLAlchemy."""
    wrong = {str(p): sorted(n for n in imports(p) if top(n) in ("boto3", "botocore", "sqlalchemy", "pymysql"))
             for p in modules() if p.parts[0] == "transforms"}
    assert not {p: n for p, n in wrong.items() if n}


def long_because(source: str) -> list[str]:
    """The reasons a module's opening docstring gives in `Long because:` fields (stripped)."""
    return [" ".join(reason.split()) for reason in LONG_BECAUSE.findall(ast.get_docstring(ast.parse(source)) or "")]


@pytest.mark.parametrize("path", list(modules()), ids=str)
def test_long_modules_say_why_and_only_they(path):
    source = (ROOT / path).read_text()
    lines, reasons = source.count("\n"), long_because(source)
    if lines > MAX_LINES:
        assert len(reasons) == 1 and reasons[0], \
            f"{path} has {lines} lines; split it, or give its docstring one line `Long because: <the reason>`"
    else:
        assert not reasons, f"{path} has {lines} lines, not over {MAX_LINES}: its `Long because:` is stale"


@pytest.mark.parametrize("docstring, reasons", [
    ("Codecs.\n\nLong because: the whole contract in one place.\n", ["the whole contract in one place."]),
    ("Codecs.\n\nLong because: one reason,\n  continued on an indented line.\nNot this one.\n",
     ["one reason, continued on an indented line."]),
    ("Codecs.\n\nLong because:\n", [""]),  # present but empty: the rule above fails it
    ("Codecs. The module is long because it is.\n", []),  # a phrase is not the field
    ("Codecs; Long because: not at the start of a line\n", []),
])
def test_the_long_because_field_is_a_line_of_its_own(docstring, reasons):
    assert long_because(f'"""{docstring}"""\n') == reasons


def test_check_reads_work_loads_no_beam():
    """check-reads runs no pipeline: its work, which the cut-over calls in-process, and the
    shadow-read wrapper the application imports load no Beam."""
    import subprocess
    import sys

    code = ("import sys, pipelines.read_parity, reports.read_parity_report, repositories.shadow, "
            "repositories.parity; sys.exit(int('apache_beam' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize("modules", [
    "pipelines.cli, pipelines.status",  # status answers from the state items alone
    "pipelines.sync, pipelines.reverse_sync",  # a sync with nothing to carry builds no pipeline
])
def test_commands_that_may_run_no_pipeline_load_no_beam_until_they_do(modules):
    """A scheduled run with nothing to do, and status, answer in about a second: importing Beam
    alone takes over one (bench/RESULTS.md). sync imports its Beam half (pipelines/sync_pipelines.py)
    only when a window holds something."""
    import subprocess
    import sys

    code = f"import sys, {modules}; sys.exit(int('apache_beam' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
