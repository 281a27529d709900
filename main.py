"""What Alfred runs: put the workflow's package and libraries on the path, then hand over.

Only the standard library is used before the hand-over, so that a Python
without the workflow's libraries still gets a plain message to Alfred
instead of a traceback. An installed bundle carries its pure-Python
libraries in ``lib/`` and pydantic-core's compiled part for each Mac CPU and
Python in ``lib-native/cpXY-macosx_CPU/``; a development checkout has neither
and runs with its ``.venv``.
"""

# So that an older Python (macOS's own 3.9) can read this file and get the
# plain message rather than a traceback.
from __future__ import annotations

import gc
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIB_FOLDERS = ("lib", "lib-native")
QUARANTINE = "com.apple.quarantine"
XATTR = "/usr/bin/xattr"
QUARANTINE_MARKER = "quarantine-cleared"


def native_folder(machine: str, version_info, root: str, abiflags: str = "") -> str | None:
    """The folder with pydantic-core built for this CPU and Python, or None if none is carried."""
    tag = f"cp{version_info[0]}{version_info[1]}{abiflags}-macosx_{machine}"
    folder = os.path.join(root, "lib-native", tag)
    return folder if os.path.isdir(folder) else None


def _cache_dir() -> str:
    # The same folder launch.sh remembers the interpreter in.
    return os.environ.get("alfred_workflow_cache") or os.path.expanduser(
        "~/Library/Caches/afwf_mfa"
    )


def _quarantined(path: str) -> bool:
    if hasattr(os, "getxattr"):
        try:
            os.getxattr(path, QUARANTINE)
        except OSError:
            return False
        return True

    # macOS's Python has no os.getxattr; this runs once per install, not per keystroke.
    import subprocess

    result = subprocess.run(
        [XATTR, "-p", QUARANTINE, path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return result.returncode == 0


def clear_quarantine(root: str, cache_dir: str, native: str | None) -> None:
    """Take macOS's download mark off the workflow's library folders, once per install."""
    try:
        lib = os.stat(os.path.join(root, "lib"))
    except OSError:
        return

    # A reinstall makes a new lib folder, so its identity tells whether this
    # copy was already seen. Not its mtime: Python's first __pycache__ there
    # changes that.
    seen = f"{lib.st_ino} {getattr(lib, 'st_birthtime', 0)}\n"
    marker = os.path.join(cache_dir, QUARANTINE_MARKER)
    try:
        with open(marker, encoding="utf-8") as f:
            if f.read() == seen:
                return
    except OSError:
        pass

    folders = [os.path.join(root, name) for name in LIB_FOLDERS]
    folders = [folder for folder in folders if os.path.isdir(folder)]
    # Gatekeeper refuses the compiled library, so its mark counts even when
    # the folders themselves carry none.
    compiled = []
    if native:
        package = os.path.join(native, "pydantic_core")
        try:
            compiled = [os.path.join(package, n) for n in os.listdir(package) if n.endswith(".so")]
        except OSError:
            pass
    if any(_quarantined(path) for path in folders + compiled):
        import subprocess

        result = subprocess.run(
            [XATTR, "-dr", QUARANTINE, *folders],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            # Not remembered, so that the next run tries again.
            return

    try:
        os.makedirs(cache_dir, mode=0o700, exist_ok=True)
        with open(marker, "w", encoding="utf-8") as f:
            f.write(seen)
    except OSError:
        pass


def _carried_pythons(machine: str) -> list[tuple[int, int]]:
    suffix = f"-macosx_{machine}"
    found = []
    for name in os.listdir(os.path.join(HERE, "lib-native")):
        digits = name[2 : -len(suffix)] if name.startswith("cp") and name.endswith(suffix) else ""
        if digits.isdigit() and len(digits) >= 2:
            found.append((int(digits[0]), int(digits[1:])))
    return sorted(found)


def _add_paths() -> tuple[str, str] | None:
    """Put the package and its libraries on the path; a title and a fix if they cannot run here."""
    lib = os.path.join(HERE, "lib")
    # The compiled builds are macOS's; elsewhere (a test on Linux) the
    # interpreter's own pydantic-core is used, and there is no mark to clear.
    if os.path.isdir(lib) and sys.platform == "darwin":
        carried = os.path.isdir(os.path.join(HERE, "lib-native"))
        machine = platform.machine()
        native = native_folder(machine, sys.version_info, HERE, sys.abiflags)
        clear_quarantine(HERE, _cache_dir(), native)
        if carried and native is None:
            return _unsupported(machine)
        if native:
            sys.path.insert(0, native)
    if os.path.isdir(lib):
        sys.path.insert(0, lib)
    sys.path.insert(0, HERE)
    return None


def _unsupported(machine: str) -> tuple[str, str]:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}{sys.abiflags}"
    title = f"The workflow has no libraries for Python {version} on {machine}"
    carried = _carried_pythons(machine)
    if carried:
        oldest, newest = (f"{major}.{minor}" for major, minor in (carried[0], carried[-1]))
        works = f"Python {oldest}–{newest}" if oldest != newest else f"Python {oldest}"
        fix = (
            f"{works} from python.org or Homebrew works: install one, or set 'Python' in "
            "the workflow's configuration to it."
        )
    else:
        fix = "It runs on Apple silicon (arm64) and Intel (x86_64) Macs."
    return title, fix


def _report(title: str, fix: str) -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "filter"
    if command == "probe":
        return 1
    if command == "filter":
        item = {
            "title": title,
            "subtitle": fix,
            "valid": False,
            "icon": {"path": "icons/error.png"},
        }
        print(json.dumps({"items": [item]}))
    elif command in ("login", "run"):
        variables = {"outcome": "error", "notification_title": title, "notification_text": fix}
        print(json.dumps({"alfredworkflow": {"arg": "", "variables": variables}}))
    return 0


def _report_missing(error: ImportError) -> int:
    # launch.sh trusts the interpreter it remembered; this one cannot run the
    # workflow (after an upgrade, say), so the next keystroke looks again.
    try:
        os.remove(os.path.join(_cache_dir(), "python"))
    except OSError:
        pass
    title = f"The workflow's libraries are missing for Python {sys.version.split()[0]}"
    fix = (
        f"({error.name or error}) Reinstall the workflow, or set 'Python' in its "
        "configuration to an interpreter that has them."
    )
    return _report(title, fix)


def main() -> int:
    # Each run lives for a keystroke or a login and then exits, freeing all it
    # made; the collector's passes over the libraries' import-time objects
    # would only add to the time the user waits.
    gc.disable()
    problem = _add_paths()
    if problem:
        return _report(*problem)
    try:
        from afwf_mfa.cli import main as cli_main

        return cli_main(sys.argv[1:])
    except ImportError as error:
        # The package imports its libraries lazily, so this also catches a
        # library that is missing for this interpreter.
        return _report_missing(error)


if __name__ == "__main__":
    sys.exit(main())
