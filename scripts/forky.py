#!/usr/bin/env python3
"""Python 3.14 and 3.15 for a Debian 12 host: a minimal Debian "forky" chroot.

Debian 12 (bookworm) ships Python 3.11 only; forky (Debian 14, in testing) ships
python3.14 and python3.15.  As root on Debian this module bootstraps a minimal
forky tree with debootstrap from the mirror apt already uses, installs both
interpreters (and git, for the nbgitpuller test) and runs commands inside it
with the repository bind-mounted at the same path, so ``.venv-3.14`` and
friends live in the repository as they do for the host's Pythons.

    python3 scripts/forky.py            # build (or check) the chroot, print the interpreters
    python3 scripts/forky.py --remove   # unmount and delete it
    python3 scripts/forky.py -- python3.15 scripts/course.py test tests/test_server.py
                                        # run a command inside, in the repository

The tree lives in /var/cache/async-course/forky (FORKY_ROOT chooses another
place), outside the repository.  Build from nothing: about 100 s; when present:
well under a second (a check and a few bind mounts).  Standard library only.

Mounts (proc, sys, dev, the repository, the host's local pip indexes) are made
while a command runs and removed by the last user of the chroot (an flock
counts the users), so deleting the cache never reaches into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROOT = Path(os.environ.get("FORKY_ROOT", "/var/cache/async-course/forky"))
VERSIONS = ("3.14", "3.15")
# gcc, libc6-dev and the -dev headers: the recorder's optional C hot path is compiled for each Python
PACKAGES = ["ca-certificates", "git", "gcc", "libc6-dev"] + [f"python{v}{s}" for v in VERSIONS
                                                             for s in ("", "-venv", "-dev")]
READY = ".async-course-ready"  # written (with PACKAGES) once everything is installed
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Unavailable(RuntimeError):
    """The chroot cannot be made here; the message says how to get the interpreters instead."""


HOW_ELSE = ("Python {v} is not installed. Get it from python.org, your distribution, "
            "pyenv (`pyenv install {v}`) or uv (`uv python install {v}`), put python{v} on PATH, "
            "and run the command again. (On Debian as root, scripts/course.py pythons builds "
            "a forky chroot with it.)")


def can_build() -> str | None:
    """None if this host can build the chroot, else why not."""
    if sys.platform != "linux" or not Path("/etc/debian_version").exists():
        return "not a Debian host"
    if os.geteuid() != 0:
        return "not root (debootstrap, mount and chroot need root)"
    if not shutil.which("apt-get"):
        return "no apt-get"
    return None


def ready() -> bool:
    marker = CHROOT / READY
    return marker.exists() and marker.read_text().split() == PACKAGES and all(
        (CHROOT / f"usr/bin/python{v}").exists() for v in VERSIONS)


def say(message: str) -> None:
    print(f"[forky] {message}", flush=True)


def sh(*cmd: str, **kwargs) -> None:
    subprocess.run(cmd, check=True, **kwargs)


def host_mirror() -> str:
    """The Debian mirror apt uses for bookworm (deb822 or one-line sources)."""
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    for text in texts:
        for block in re.split(r"\n\s*\n", text):  # deb822 stanzas
            uris = re.search(r"^URIs:\s*(\S+)", block, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", block, re.M)
            if uris and suites and "bookworm" in suites.group(1).split() and "security" not in uris.group(1):
                return uris.group(1)
        for line in text.splitlines():
            m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
            if m and "security" not in m.group(1):
                return m.group(1)
    return "http://deb.debian.org/debian"


PIP_CONFIGS = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf"), Path.home() / ".config/pip/pip.conf",
               Path.home() / ".pip/pip.conf"]


def pip_references() -> tuple[list[Path], list[Path]]:
    """(files, folders) the host's pip configuration names: constraint files, local
    indexes and wheel folders.  Files are copied in; folders are mounted read-only."""
    texts = [v for k, v in os.environ.items() if k.startswith("PIP_")]
    texts += [conf.read_text(errors="replace") for conf in PIP_CONFIGS if conf.is_file()]
    files: list[Path] = []
    folders: list[Path] = []
    for text in texts:
        for token in re.findall(r"(?:file://)?(/[^\s'\"]+)", text):
            path = Path(token.rstrip("/"))
            if path.is_file():
                if path not in files:
                    files.append(path)
                continue
            # the folder holding a local index, e.g. /opt/pypi for file:///opt/pypi/simple
            top = Path(*path.parts[:3]) if len(path.parts) > 3 else path
            if top.is_dir() and top not in folders and not str(top).startswith(("/etc", "/usr", "/proc", "/dev")):
                folders.append(top)
    return files, folders


def copy_host_settings() -> None:
    """What apt and pip inside need from the host: DNS, hosts, CA certificates, apt/pip settings."""
    for name in ("etc/resolv.conf", "etc/hosts"):
        target = CHROOT / name
        if target.is_symlink():
            target.unlink()
        shutil.copy(Path("/") / name, target)
    ca_src = Path("/usr/local/share/ca-certificates")
    if ca_src.is_dir():
        shutil.copytree(ca_src, CHROOT / ca_src.relative_to("/"), dirs_exist_ok=True)
    confd = CHROOT / "etc/apt/apt.conf.d"
    confd.mkdir(parents=True, exist_ok=True)
    # the host's mirror may be a frozen snapshot whose Release files have "expired"
    (confd / "99async-course").write_text('Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n')
    for conf in sorted(Path("/etc/apt/apt.conf.d").glob("*")):
        text = conf.read_text(errors="replace") if conf.is_file() else ""
        if re.search(r"Acquire::(Check-Valid-Until|Check-Date|http::Proxy|https::Proxy)", text, re.I):
            shutil.copy(conf, confd / conf.name)
    for conf in [*PIP_CONFIGS, *pip_references()[0]]:
        if conf.is_file():
            target = CHROOT / conf.relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(conf, target)


def build_log() -> Path:
    return CHROOT.with_name(CHROOT.name + ".log")


def chroot_run(*cmd: str) -> None:
    """Run ``cmd`` inside (as root, for apt); its output goes to the build log."""
    env = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
    with open(build_log(), "a") as log:
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        code = subprocess.run(["chroot", str(CHROOT), *cmd], env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    if code != 0:
        tail = "".join(build_log().read_text(errors="replace").splitlines(keepends=True)[-30:])
        raise RuntimeError(f"{' '.join(cmd)} failed inside {CHROOT} (exit {code}); end of {build_log()}:\n{tail}")


def build() -> float:
    """Bootstrap and fill the chroot if needed; return the seconds it took."""
    started = time.monotonic()
    if ready():
        return time.monotonic() - started
    why = can_build()
    if why:
        raise Unavailable(f"cannot build the forky chroot: {why}. " + HOW_ELSE.format(v=" / ".join(VERSIONS)))
    if not shutil.which("debootstrap"):
        say("installing debootstrap on the host (apt-get)")
        sh("apt-get", "update", "-qq")
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "debootstrap",
           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not (CHROOT / "usr/bin/apt-get").exists():
        mirror = host_mirror()
        say(f"debootstrap forky (minbase) into {CHROOT} from {mirror} (about 40 s)")
        partial = CHROOT.with_name(CHROOT.name + ".partial")
        if partial.exists():
            unmount_all(partial)
            shutil.rmtree(partial)
        partial.parent.mkdir(parents=True, exist_ok=True)
        # bookworm's debootstrap has no forky script; sid's works for forky
        script = "/usr/share/debootstrap/scripts/sid"
        with open(build_log(), "w") as log:
            sh("debootstrap", "--variant=minbase", "forky", str(partial), mirror, script,
               stdout=log, stderr=subprocess.STDOUT)
        if CHROOT.exists():
            unmount_all(CHROOT)
            shutil.rmtree(CHROOT)
        partial.rename(CHROOT)
    copy_host_settings()
    with mounted(system_only=True):
        say("apt-get install " + " ".join(PACKAGES) + f" (log: {build_log()})")
        chroot_run("apt-get", "update", "-qq")
        chroot_run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES)
        chroot_run("update-ca-certificates")
        chroot_run("apt-get", "clean")
    (CHROOT / READY).write_text(" ".join(PACKAGES) + "\n")
    return time.monotonic() - started


# --- mounts -----------------------------------------------------------------

def mountpoints() -> list[str]:
    with open("/proc/self/mounts") as f:
        return [line.split()[1].replace("\\040", " ") for line in f]


def unmount_all(tree: Path) -> None:
    prefix = str(tree.resolve()) + "/"
    for point in sorted((p for p in mountpoints() if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def binds(system_only: bool) -> list[tuple[Path, bool, bool]]:
    """(host path, recursive, read-only) mounted at the same place inside."""
    out = [(Path("/proc"), False, False), (Path("/sys"), True, False), (Path("/dev"), True, False)]
    if not system_only:
        out.append((ROOT, False, False))
        out += [(p, False, True) for p in pip_references()[1]]
    return out


@contextlib.contextmanager
def mounted(system_only: bool = False):
    """Mount what commands inside need; the last process using the chroot unmounts."""
    lock_path = CHROOT.with_name(CHROOT.name + ".lock")
    lock = open(lock_path, "w")
    fcntl.flock(lock, fcntl.LOCK_SH)
    try:
        if not system_only:
            copy_host_settings()  # the host's DNS, certificates or pip settings may have changed
        present = set(mountpoints())
        for source, recursive, readonly in binds(system_only):
            target = CHROOT / source.relative_to("/")
            if str(target) in present:
                continue
            target.mkdir(parents=True, exist_ok=True)
            if source == Path("/proc"):
                sh("mount", "-t", "proc", "proc", str(target))
                continue
            sh("mount", "--rbind" if recursive else "--bind", str(source), str(target))
            if recursive:
                sh("mount", "--make-rslave", str(target))
            if readonly:
                sh("mount", "-o", "remount,bind,ro", str(target))
        yield
    finally:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # someone else still runs inside: they unmount
        else:
            unmount_all(CHROOT)
        lock.close()


def command(argv: list[str], cwd: Path = ROOT) -> list[str]:
    """``argv`` as a command line that runs inside the chroot in ``cwd`` (call within mounted())."""
    return ["chroot", str(CHROOT), "/bin/sh", "-c", 'cd "$0" && exec "$@"', str(cwd), *argv]


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The host's environment for a command inside, minus what points at host-only paths."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYENV", "VIRTUAL_ENV", "CONDA", "PYTHONHOME", "PYTHONPATH"))}
    env.update({"PATH": PATH, "HOME": "/root"})
    env.update(extra or {})
    return env


def python(version: str) -> str:
    return f"/usr/bin/python{version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--remove", action="store_true", help="unmount and delete the chroot")
    argv = list(sys.argv[1:] if argv is None else argv)
    inside = argv[argv.index("--") + 1:] if "--" in argv else []
    ns = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if ns.remove:
        if CHROOT.exists():
            unmount_all(CHROOT)
            assert not any(p.startswith(str(CHROOT) + "/") for p in mountpoints()), "still mounted"
            shutil.rmtree(CHROOT)
        print(f"removed {CHROOT}")
        return 0
    try:
        seconds = build()
    except Unavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    with mounted():
        if inside:
            return subprocess.run(command(inside, Path.cwd()), env=environment()).returncode
        for v in VERSIONS:
            out = subprocess.run(command([python(v), "-c", "import sys; print(sys.version.split()[0])"]),
                                 env=environment(), capture_output=True, text=True, check=True)
            print(f"Python {out.stdout.strip()}: chroot {CHROOT} {python(v)}")
    print(f"chroot ready in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
