"""The three environment descriptions (pip, conda, Binder) cannot drift apart."""

from __future__ import annotations

import os
import re
import stat
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import coursemeta

ROOT = coursemeta.ROOT
SUPPORTED_PYTHONS = {(3, 11), (3, 12), (3, 13)}


def pip_specs(path: Path) -> dict[str, str]:
    specs = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            specs[req.name.lower()] = str(req.specifier)
    return specs


def conda_file() -> tuple[str, dict[str, str]]:
    """(python version, pip specs) from environment.yml, whose shape we control."""
    python, specs, in_pip = None, {}, False
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if m := re.fullmatch(r"\s+- python=(\S+)", line):
            python = m.group(1)
        elif re.fullmatch(r"\s+- pip:", line):
            in_pip = True
        elif in_pip and (m := re.fullmatch(r"\s{6}- (\S+)", line)):
            req = Requirement(m.group(1))
            specs[req.name.lower()] = str(req.specifier)
    assert python, "environment.yml must pin python (- python=3.X)"
    return python, specs


def test_pip_conda_and_binder_list_the_same_packages_and_versions():
    pip = pip_specs(ROOT / "requirements.txt")
    binder = pip_specs(ROOT / "binder" / "requirements.txt")
    _, conda = conda_file()
    assert binder == pip, "binder/requirements.txt differs from requirements.txt (copy it over)"
    assert conda == pip, "environment.yml's pip list differs from requirements.txt"


def test_the_design_card_packages_are_declared_with_a_range():
    pip = pip_specs(ROOT / "requirements.txt")
    for name in ["jupyterlab", "nbclient", "nest-asyncio", "matplotlib", "nbval", "ipykernel", "pytest",
                 "pytest-xdist", "aiohttp"]:
        assert name in pip, f"{name} missing from requirements.txt"
    for name, spec in pip.items():
        assert spec.startswith(("~=", "==")) or ("<" in spec and ">" in spec), f"{name} is not pinned: {spec!r}"


def test_python_is_pinned_the_same_for_conda_and_binder_and_is_supported():
    conda_python, _ = conda_file()
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == f"python-{conda_python}", "binder/runtime.txt and environment.yml pin different Pythons"
    assert tuple(map(int, conda_python.split("."))) in SUPPORTED_PYTHONS


def test_the_running_environment_satisfies_the_pins():
    if os.environ.get("COURSE_SKIP_PIN_CHECK"):
        pytest.skip("COURSE_SKIP_PIN_CHECK is set")
    wrong = []
    for name, spec in pip_specs(ROOT / "requirements.txt").items():
        version = metadata.version(name)
        if not Requirement(f"{name}{spec}").specifier.contains(version, prereleases=True):
            wrong.append(f"{name} {version} (wants {spec})")
    assert not wrong, "installed versions outside the pins: " + ", ".join(wrong)


def test_the_suite_runs_on_the_pinned_python_or_a_supported_one():
    conda_python, _ = conda_file()
    here = sys.version_info[:2]
    assert here in SUPPORTED_PYTHONS, f"Python {here} is not one the course supports"
    if not os.environ.get("COURSE_VENV"):
        assert f"{here[0]}.{here[1]}" == conda_python, (
            f"the default test environment runs Python {here[0]}.{here[1]} but Binder/conda pin {conda_python}")


def test_binder_opens_lab_at_the_start_notebook_and_silences_news():
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
    assert "overrides.json" in post_build.read_text()
    assert '"fetchNews": "false"' in (ROOT / "binder" / "overrides.json").read_text()
    url = coursemeta.binder_url()
    assert url.endswith("?urlpath=lab%2Ftree%2Fnotebooks%2F00_start_here.ipynb")
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()


def test_binder_link_points_at_a_fixed_ref_and_the_readme_uses_it():
    ref = coursemeta.settings()["repository"]["ref"]
    assert ref not in {"main", "master", "HEAD", "develop"}, "Binder must build a tag or commit, not a moving branch"
    assert f"/{ref}?" in coursemeta.binder_url()
    assert coursemeta.binder_url() in (ROOT / "README.md").read_text()


def test_ci_calls_the_readme_test_command():
    command = "python3 scripts/course.py test"
    assert command in (ROOT / "README.md").read_text()
    assert command in (ROOT / ".ci" / "run").read_text()
