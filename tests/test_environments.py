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


def supported() -> list[tuple[int, int]]:
    return [tuple(map(int, v.split("."))) for v in coursemeta.settings()["python"]["supported"]]


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
    assert tuple(map(int, conda_python.split("."))) in supported(), (
        f"the pinned Python {conda_python} is not in course.toml's [python] supported")


def test_the_supported_range_is_contiguous_and_known_to_every_script():
    import course
    import run_pythons

    versions = supported()
    assert versions == sorted(versions) and versions == [(3, m) for m in range(versions[0][1], versions[-1][1] + 1)]
    assert course.MIN_PYTHON == versions[0], "scripts/course.py's MIN_PYTHON must be the oldest supported Python"
    assert run_pythons.VERSIONS == tuple(f"{a}.{b}" for a, b in versions)
    readme = (ROOT / "README.md").read_text()
    oldest, newest = (f"{a}.{b}" for a, b in (versions[0], versions[-1]))
    assert f"Python {oldest} to {newest}" in readme, "the README must name the supported range"


def test_the_suite_runs_on_a_supported_python():
    """CI runs the default suite on the host's python3 (3.11 on Debian 12), not the
    pinned one; outputs are compared through tests/sanitize.cfg, which maps the few
    wordings that differ between versions."""
    here = sys.version_info[:2]
    assert here in supported(), f"Python {here[0]}.{here[1]} is not one the course supports (course.toml)"


def test_committed_outputs_come_from_the_pinned_python():
    import nbformat

    pinned, _ = conda_file()
    stale = []
    for nb in coursemeta.notebooks():
        version = nbformat.read(nb.path, as_version=4).metadata.get("language_info", {}).get("version", "?")
        if not version.startswith(pinned + "."):
            stale.append(f"{nb.file} ({version})")
    assert not stale, (f"outputs not made by the pinned Python {pinned}: {', '.join(stale)}; "
                       "run python3 scripts/course.py refresh (it uses the pinned Python wherever it runs)")


def test_the_running_environment_satisfies_the_pins():
    if os.environ.get("COURSE_SKIP_PIN_CHECK"):
        pytest.skip("COURSE_SKIP_PIN_CHECK is set")
    wrong = []
    for name, spec in pip_specs(ROOT / "requirements.txt").items():
        version = metadata.version(name)
        if not Requirement(f"{name}{spec}").specifier.contains(version, prereleases=True):
            wrong.append(f"{name} {version} (wants {spec})")
    assert not wrong, "installed versions outside the pins: " + ", ".join(wrong)


def test_binder_opens_lab_at_the_start_notebook_and_silences_news():
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
    assert "overrides.json" in post_build.read_text()
    assert '"fetchNews": "false"' in (ROOT / "binder" / "overrides.json").read_text()
    url = coursemeta.binder_url()
    assert url.endswith("?urlpath=lab%2Ftree%2Fnotebooks%2F00_start_here.ipynb")
    assert (ROOT / "notebooks" / "00_start_here.ipynb").exists()


BINDER_BLOCK = re.compile(r"<!-- binder:start -->\n(.*?)\n<!-- binder:end -->", re.S)
# The shape of a Binder badge that builds a tag and opens notebook 00, written out
# here by hand (not computed by coursemeta.binder_url, which the README is built from).
BINDER_BADGE = re.compile(
    r"\[!\[Launch on Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]"
    r"\(https://mybinder\.org/v2/gh/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/(?P<ref>v\d+(?:\.\d+)*)"
    r"\?urlpath=lab%2Ftree%2Fnotebooks%2F00_start_here\.ipynb\)")


def test_binder_link_points_at_a_fixed_ref_and_the_readme_uses_it():
    repo = coursemeta.settings()["repository"]
    assert re.fullmatch(r"v\d+(\.\d+)*", repo["ref"]), (
        f"course.toml's ref {repo['ref']!r} must be a release tag like v1.0, not a moving branch")
    block = BINDER_BLOCK.search((ROOT / "README.md").read_text())
    assert block, "README.md needs <!-- binder:start --> ... <!-- binder:end -->"
    badge = BINDER_BADGE.fullmatch(block.group(1).strip())
    assert badge, f"the README's Binder badge does not have the expected shape:\n{block.group(1)}"
    assert f"{badge['owner']}/{badge['repo']}" == repo["github"]
    assert badge["ref"] == repo["ref"], "the README's Binder badge is stale: run python3 scripts/course.py nav"


def test_ci_calls_the_readme_test_command():
    command = "python3 scripts/course.py test"
    assert command in (ROOT / "README.md").read_text()
    assert command in (ROOT / ".ci" / "run").read_text()
