"""The repository documents itself: docs/data-model.md is what the specs say, and the README
links only to files inside the repository."""

from __future__ import annotations

import pathlib
import re

from reports.data_model import markdown

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_committed_data_model_is_generated_from_the_specs():
    committed = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert committed == markdown(), "docs/data-model.md differs from the specs: run `make docs` and commit it"


def test_readme_links_stay_inside_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)", readme)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links to its docs"
    for target in local:
        path = (ROOT / target).resolve()
        assert ROOT in path.parents or path == ROOT, f"{target} points outside the repository"
        assert path.exists(), f"{target} does not exist"
