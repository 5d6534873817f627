"""The course's facts from course.toml, for the maintainer scripts and the tests."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CONTENTS = "contents.ipynb"


@dataclass(frozen=True)
class Notebook:
    number: int
    file: str
    title: str
    minutes: int

    @property
    def path(self) -> Path:
        return NOTEBOOKS / self.file

    @property
    def label(self) -> str:
        return f"{self.number:02d} {self.title}"


def settings() -> dict:
    with open(ROOT / "course.toml", "rb") as f:
        return tomllib.load(f)


def notebooks(existing_only: bool = True) -> list[Notebook]:
    """The course's notebooks in order (by default only those that exist)."""
    out = []
    for i, entry in enumerate(settings()["notebooks"]):
        nb = Notebook(i, entry["file"], entry["title"], int(entry["minutes"]))
        if not existing_only or nb.path.exists():
            out.append(nb)
    return out


def binder_url() -> str:
    repo = settings()["repository"]
    return (f"https://mybinder.org/v2/gh/{repo['github']}/{quote(repo['ref'], safe='')}"
            f"?urlpath={quote('lab/tree/' + repo['start_notebook'], safe='')}")


def nbgitpuller_url() -> str:
    """A JupyterHub link that clones the course into each student's home and opens it."""
    repo, hub = settings()["repository"], settings()["jupyterhub"]
    name = repo["github"].split("/")[-1]
    query = urlencode({
        "repo": f"https://github.com/{repo['github']}",
        "branch": hub["branch"],
        "urlpath": f"lab/tree/{name}/{repo['start_notebook']}",
    })
    return f"{hub['hub'].rstrip('/')}/hub/user-redirect/git-pull?{query}"
