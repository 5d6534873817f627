"""The JupyterHub recipe: an nbgitpuller link built from course.toml.

A student who clicks the link logs in to the hub; nbgitpuller clones (or
updates) the course into a folder named after the repository in their home,
then JupyterLab opens the start notebook.  The link must therefore be
``<hub>/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=lab/tree/<repo name>/<start notebook>``,
and the README must show exactly that link.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

import coursemeta

MARKERS = re.compile(r"<!-- nbgitpuller:start -->\n(.*?)\n<!-- nbgitpuller:end -->", re.S)


def parts(url: str):
    split = urlsplit(url)
    query = parse_qs(split.query, strict_parsing=True)
    return split, query


def test_link_opens_the_start_notebook_of_the_cloned_course():
    settings = coursemeta.settings()
    repo, hub = settings["repository"], settings["jupyterhub"]
    split, query = parts(coursemeta.nbgitpuller_url())
    hub_split = urlsplit(hub["hub"])
    assert (split.scheme, split.netloc) == (hub_split.scheme, hub_split.netloc)
    assert split.path == hub_split.path.rstrip("/") + "/hub/user-redirect/git-pull"
    assert sorted(query) == ["branch", "repo", "urlpath"], "each parameter exactly once, nothing else"
    assert all(len(v) == 1 for v in query.values())
    assert query["repo"] == [f"https://github.com/{repo['github']}"]
    assert query["branch"] == [hub["branch"]]
    folder = repo["github"].split("/")[-1]  # nbgitpuller clones into a folder named after the repository
    assert query["urlpath"] == [f"lab/tree/{folder}/{repo['start_notebook']}"]


def test_start_notebook_is_the_first_of_the_course():
    settings = coursemeta.settings()
    first = settings["notebooks"][0]["file"]
    assert settings["repository"]["start_notebook"] == f"notebooks/{first}"


def test_hub_under_a_path_prefix(monkeypatch):
    real = coursemeta.settings()
    real["jupyterhub"] = {"hub": "https://example.org/teaching/", "branch": "spring 2026"}
    monkeypatch.setattr(coursemeta, "settings", lambda: real)
    url = coursemeta.nbgitpuller_url()
    split, query = parts(url)
    assert split.path == "/teaching/hub/user-redirect/git-pull"
    assert query["branch"] == ["spring 2026"]
    assert " " not in url, "the link must be URL-encoded"


def test_readme_shows_exactly_this_link():
    readme = coursemeta.ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet (the lead writes it); the link itself is tested above")
    block = MARKERS.search(readme.read_text(encoding="utf-8"))
    assert block, "README.md needs <!-- nbgitpuller:start --> ... <!-- nbgitpuller:end --> (python3 scripts/course.py nav fills it)"
    links = re.findall(r"https?://[^\s)<>`\"']+", block.group(1))
    assert links == [coursemeta.nbgitpuller_url()], (
        "the README's nbgitpuller link is stale: run python3 scripts/course.py nav")
