"""Binder builds what binder/ says, and its environment has no conflicts.

repo2docker (pinned in requirements-dev.txt) cannot build an image here (no
Docker, no base images), but ``--no-build --debug`` prints the Dockerfile it
would build, offline.  Its base environment (a conda lock file shipped inside
the repo2docker package) brings its own Jupyter: binder/requirements.txt is then
pip-installed on top, so the two must resolve without conflict.  The second
test replays that with pip in a scratch environment (about 1-2 minutes; it needs
PyPI or a local index, and skips, saying why, when neither answers).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

import coursemeta

ROOT = coursemeta.ROOT
REPO2DOCKER = shutil.which("repo2docker", path=str(Path(sys.executable).parent)) or shutil.which("repo2docker")
pytestmark = pytest.mark.skipif(REPO2DOCKER is None, reason="repo2docker is not installed (requirements-dev.txt)")

# conda-forge names of the base environment -> PyPI names, where they differ
CONDA_TO_PYPI = {"jupyterhub-singleuser": "jupyterhub"}


def pinned_python() -> str:
    return (ROOT / "binder" / "runtime.txt").read_text().strip().removeprefix("python-")


def conda_buildpack() -> Path:
    import repo2docker.buildpacks.conda as conda

    return Path(conda.__file__).parent


@pytest.fixture(scope="module")
def dockerfile() -> str:
    out = subprocess.run([REPO2DOCKER, "--no-build", "--debug", str(ROOT)], capture_output=True, text=True,
                         timeout=300, cwd=ROOT / "binder")
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr  # the Dockerfile goes to stdout, the log to stderr


def test_repo2docker_reads_binder_uses_the_pinned_python_and_runs_post_build(dockerfile):
    python = pinned_python()
    assert f"Building conda environment for python={python}" in dockerfile
    assert re.search(rf"environment-2epy-2d{python.replace('.', '-2e')}-2dlinux-2d64-2elock", dockerfile), (
        f"the base environment is not repo2docker's Python {python} lock file")
    assert "COPY --chown=0:0 src/binder/requirements.txt ${REPO_DIR}/binder/requirements.txt" in dockerfile
    assert re.search(r'RUN \$\{KERNEL_PYTHON_PREFIX\}/bin/pip install .*-r "binder/requirements.txt"', dockerfile)
    assert "RUN ./binder/postBuild" in dockerfile
    # only binder/ counts: repo2docker ignores a top-level requirements.txt/environment.yml when binder/ exists
    assert "COPY --chown=0:0 src/requirements.txt" not in dockerfile
    assert "environment.yml" not in dockerfile.replace("NB_ENVIRONMENT_FILE", "")


def base_environment_jupyter_pins() -> list[str]:
    """``name==version`` for the Jupyter packages of repo2docker's base environment
    (the top-level list of its environment.py-X.Y.yml, versions from the X.Y lock file),
    plus ipykernel, which our requirements also pin."""
    folder = conda_buildpack()
    python = pinned_python()
    spec = yaml.safe_load((folder / f"environment.py-{python}.yml").read_text())
    names = [re.split(r"[=<>!~ ]", dep, maxsplit=1)[0] for dep in spec["dependencies"] if isinstance(dep, str)]
    names = [n for n in names if n not in {"python", "nodejs", "pip"}] + ["ipykernel"]
    versions = {}
    for line in (folder / f"environment.py-{python}-linux-64.lock").read_text().splitlines():
        m = re.search(r"/([^/]+)-([^-/]+)-[^-/]+\.(?:conda|tar\.bz2)(?:#|$)", line)
        if m:
            versions[m.group(1)] = m.group(2)
    missing = [n for n in names if n not in versions]
    assert not missing, f"not in repo2docker's lock file: {missing}"
    assert len(names) >= 5 and {"jupyterlab", "notebook"} <= set(names)
    return [f"{CONDA_TO_PYPI.get(n, n)}=={versions[n]}" for n in names]


def index_reachable(pip: list[str]) -> str | None:
    """None if pip can fetch from its index, else why not."""
    if os.environ.get("COURSE_OFFLINE"):
        return "COURSE_OFFLINE is set"
    out = subprocess.run([*pip, "index", "versions", "notebook"], capture_output=True, text=True, timeout=120)
    return None if out.returncode == 0 else "no package index reachable: " + out.stderr.strip()[-300:]


def test_binder_requirements_install_on_repo2docker_base_environment_without_conflicts(tmp_path):
    pins = base_environment_jupyter_pins()
    scratch = tmp_path / "base-env"
    venv.EnvBuilder(with_pip=False).create(scratch)
    target = scratch / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(target), "--disable-pip-version-check"]
    why = index_reachable([sys.executable, "-m", "pip", "--disable-pip-version-check"])
    if why:
        pytest.skip(why)
    steps = [
        ("repo2docker's base environment", [*pip, "install", "--quiet", "--no-compile", *pins]),
        ("binder/requirements.txt on top, as the Dockerfile does",
         [*pip, "install", "--quiet", "--no-compile", "-r", str(ROOT / "binder" / "requirements.txt")]),
    ]
    for what, command in steps:
        out = subprocess.run(command, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, f"{what} failed to install:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    check = subprocess.run([*pip, "check"], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, (
        f"pip check after installing binder/requirements.txt over {', '.join(pins)}:\n{check.stdout}{check.stderr}")
