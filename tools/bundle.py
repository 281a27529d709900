"""Build the .alfredworkflow file that a Mac user double-clicks to install the workflow.

The bundle carries everything the workflow runs with, so that nothing is
installed or downloaded on the user's Mac: the workflow's own files, the
pure-Python libraries once in ``lib/``, and pydantic-core's compiled part for
each Mac CPU and CPython version in ``lib-native/cpXY-macosx_CPU/``, from
which ``main.py`` picks one at start. Every version comes from the pins in
pyproject.toml, and the same inputs give the same zip, byte for byte.

    python tools/bundle.py [--out DIR] [--cache DIR]   build dist/<name>-<version>.alfredworkflow
    python tools/bundle.py --path                       print where the bundle is written

Downloads are kept in the cache folder (``.venv/bundle-cache`` unless told)
with pip's answer to each request, and a later build with the same pins takes
the same files from there without pip or the network.
"""

import argparse
import dataclasses
import hashlib
import json
import os
import plistlib
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# New in Python 3.11, which the pinned configupdater and filelock need anyway.
import tomllib
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "dist"
DEFAULT_CACHE = ROOT / ".venv" / "bundle-cache"

# The Mac CPUs and the pip platform that stands for each; pip also accepts
# wheels built for older macOS releases and universal2 wheels for these.
MACHINES = {"arm64": "macosx_11_0_arm64", "x86_64": "macosx_11_0_x86_64"}
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")

# The only compiled dependency the bundle can carry for every Mac and Python.
NATIVE = "pydantic-core"

# botocore ships the models of every AWS service, but the workflow only ever
# creates STS and IAM clients; the other models are most of the bundle's size.
BOTOCORE_SERVICES = ("iam", "sts")

MAX_SIZE = 60 * 1000 * 1000
MIN_ICON = 256
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
WORKFLOW_FILES = ("info.plist", "main.py", "launch.sh")
PACKAGE = "afwf_mfa"

# What pip says when the index answered but has nothing that fits.
NO_MATCH = "No matching distribution found"
NEEDS_OTHER_PYTHON = "require a different python version"
NETWORK_TROUBLE = ("NewConnectionError", "Max retries exceeded", "Could not fetch URL")


class BuildError(Exception):
    """The bundle cannot be built as asked; the message says why."""


@dataclasses.dataclass
class Build:
    """What a build wrote and what it carries."""

    path: Path
    size: int
    seconds: float
    resolved: dict[str, str]
    native_version: str
    found: dict[str, str]
    missing: list[str]
    left_out: dict[str, str]


def native_tag(machine: str, python: str) -> str:
    """The name of the folder that holds pydantic-core for one CPU and one Python."""
    major, minor = python.split(".")
    return f"cp{major}{minor}-macosx_{machine}"


def read_pins(root: Path = ROOT) -> list[str]:
    """The runtime requirements of pyproject.toml, each pinned to one version."""
    with open(root / "pyproject.toml", "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]

    loose = [d for d in dependencies if not re.fullmatch(r"[A-Za-z0-9_.\-]+==[^,;\s]+", d)]
    if loose:
        raise BuildError(f"Runtime dependencies must be pinned with '==': {', '.join(loose)}")
    return list(dependencies)


def read_identity(root: Path = ROOT) -> tuple[str, str]:
    """The workflow's name and version, from info.plist, which the package reads too."""
    with open(root / "info.plist", "rb") as f:
        plist = plistlib.load(f)
    if not plist.get("version"):
        raise BuildError("info.plist has no version.")
    return plist["name"], plist["version"]


def bundle_name(name: str, version: str) -> str:
    """The bundle's file name: the workflow's name without spaces or odd characters."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")
    return f"{slug}-{version}.alfredworkflow"


def bundle_path(out: Path = DEFAULT_OUT, root: Path = ROOT) -> Path:
    """Where the bundle of the current version is written."""
    return out / bundle_name(*read_identity(root))


# -- downloading --------------------------------------------------------------


class Fetcher:
    """pip downloads, kept in a cache folder together with pip's answer to each request.

    A request made before (the same requirements and options) is answered
    from the cache without starting pip, so that a repeated build uses the
    same files and needs no network. Only answers that cannot change are
    kept: the wheels pip chose, or the index's word that nothing fits.
    """

    def __init__(self, cache: Path, scratch: Path):
        self.store = cache / "wheels"
        self.answers = cache / "answers"
        for folder in (self.store, self.answers):
            folder.mkdir(parents=True, exist_ok=True)
        self.scratch = scratch

    def fetch(self, requirements: list[str], options: list[str]) -> tuple[list[Path], str]:
        """The wheels pip picks, as paths in the cache, or none and pip's words."""
        request = [*options, *requirements]
        key = hashlib.sha256(json.dumps(request).encode()).hexdigest()[:32]
        record = self.answers / f"{key}.json"
        known = self._recall(record, request)
        if known is not None:
            return known

        wheels, said = self._download(request)
        if wheels:
            chosen = {wheel.name: _sha256(wheel) for wheel in wheels}
            _write_json(record, {"request": request, "wheels": chosen})
        elif NO_MATCH in said and not _network_trouble(said):
            _write_json(record, {"request": request, "refusal": _tail(said, 40)})
        return wheels, said

    def _recall(self, record: Path, request: list[str]) -> tuple[list[Path], str] | None:
        try:
            answer = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if answer.get("request") != request:
            return None
        if "refusal" in answer:
            return [], answer["refusal"]

        # A wheel that went missing or changed in the cache is fetched again.
        wheels = [self.store / name for name in sorted(answer.get("wheels", {}))]
        for wheel in wheels:
            if not wheel.is_file() or _sha256(wheel) != answer["wheels"][wheel.name]:
                return None
        return wheels, ""

    def _download(self, request: list[str]) -> tuple[list[Path], str]:
        dest = Path(tempfile.mkdtemp(prefix="fetch-", dir=self.scratch))
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-input",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            *request,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return [], result.stdout + result.stderr

        kept = [self._keep(wheel) for wheel in sorted(dest.glob("*.whl"))]
        shutil.rmtree(dest, ignore_errors=True)
        return kept, ""

    def _keep(self, wheel: Path) -> Path:
        kept = self.store / wheel.name
        if not kept.is_file() or _sha256(kept) != _sha256(wheel):
            partial = self.store / f".{wheel.name}.{os.getpid()}.{threading.get_ident()}.part"
            shutil.copyfile(wheel, partial)
            os.replace(partial, kept)
        return kept


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _write_json(path: Path, value: dict) -> None:
    # Written beside and renamed, so that a build running at the same time
    # never reads half a file.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_text(json.dumps(value, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def _network_trouble(said: str) -> bool:
    return any(sign in said for sign in NETWORK_TROUBLE)


def _tail(said: str, lines: int = 12) -> str:
    kept = [line for line in said.splitlines() if "is ignored: it is neither" not in line]
    return "\n".join(kept[-lines:])


def resolve(pins: list[str], fetcher: Fetcher) -> tuple[str, list[Path]]:
    """The full runtime dependency set, for the oldest Python in PYTHONS the pins allow.

    Pure-Python wheels are the same on every Mac, so one resolution serves all.
    """
    platform = ["--platform", MACHINES["arm64"], "--implementation", "cp"]
    for python in PYTHONS:
        wheels, said = fetcher.fetch(pins, [*platform, "--python-version", python])
        if wheels:
            return python, wheels
        if NEEDS_OTHER_PYTHON not in said or _network_trouble(said):
            raise BuildError(f"pip could not resolve the pins:\n{_tail(said)}")
    raise BuildError(f"The pins allow none of Python {', '.join(PYTHONS)}.")


def _metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        (name,) = [n for n in z.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        return z.read(name).decode("utf-8")


def pinned_native_version(wheels: list[Path]) -> str:
    """The pydantic-core version that the resolved pydantic asks for, exactly."""
    (pydantic,) = [w for w in wheels if parse_wheel_filename(w.name)[0] == "pydantic"]
    match = re.search(
        r"^Requires-Dist:\s*pydantic[-_]core\s*\(?==\s*([^\s;,)]+)",
        _metadata(pydantic),
        re.MULTILINE | re.IGNORECASE,
    )
    if not match:
        raise BuildError(f"{pydantic.name} does not pin {NATIVE} to one version.")
    return match.group(1)


def supported_pythons(pure: list[Path], oldest: str) -> tuple[list[str], dict[str, str]]:
    """The Pythons that every pure wheel allows, and why each other one is left out."""
    supported, left_out = [], {}
    for python in PYTHONS:
        refusing = [
            "{} {}".format(*parse_wheel_filename(w.name)[:2])
            for w in pure
            if not _allows(w, python)
        ]
        if refusing or _version(python) < _version(oldest):
            left_out[python] = f"{', '.join(refusing) or 'the pinned set'} need another Python"
        else:
            supported.append(python)
    return supported, left_out


def _version(python: str) -> tuple[int, ...]:
    return tuple(int(part) for part in python.split("."))


def _allows(wheel: Path, python: str) -> bool:
    match = re.search(r"^Requires-Python:\s*(.+)$", _metadata(wheel), re.MULTILINE)
    return not match or SpecifierSet(match.group(1).strip()).contains(f"{python}.0")


def fetch_native(version: str, machine: str, python: str, fetcher: Fetcher) -> Path | None:
    """pydantic-core's wheel for one CPU and one Python, or None when PyPI has none."""
    options = [
        *("--platform", MACHINES[machine], "--python-version", python),
        *("--implementation", "cp", "--no-deps"),
    ]
    wheels, said = fetcher.fetch([f"{NATIVE}=={version}"], options)
    if len(wheels) == 1:
        return wheels[0]
    if NO_MATCH in said and not _network_trouble(said):
        return None
    raise BuildError(f"pip could not fetch {NATIVE} for {python} on {machine}:\n{_tail(said)}")


# -- laying out ---------------------------------------------------------------


def unpack_wheel(wheel: Path, target: Path) -> None:
    """Lay a wheel's importable files out in target, as an installer would for a pure wheel."""
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            name = info.filename
            top, _, rest = name.partition("/")
            if top.endswith(".data"):
                # Scripts, headers and data files serve an install, not an import.
                kind, _, rest = rest.partition("/")
                if kind not in ("purelib", "platlib"):
                    continue
                name = rest
            if not name or name.endswith("/") or "__pycache__/" in name or unused(name):
                continue

            dest = (target / name).resolve()
            if not dest.is_relative_to(target.resolve()):
                raise BuildError(f"{wheel.name} has a file outside its folder: {name}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(z.read(info))
            executable = (info.external_attr >> 16) & 0o111
            dest.chmod(0o755 if executable else 0o644)


def unused(name: str) -> bool:
    """Whether a wheel's file is one the workflow never loads: another AWS service's model."""
    parts = name.split("/")
    return (
        len(parts) > 3 and parts[:2] == ["botocore", "data"] and parts[2] not in BOTOCORE_SERVICES
    )


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise BuildError(f"{path} is not a PNG file.")
    return struct.unpack(">II", head[16:24])


def stage_workflow(root: Path, stage: Path) -> None:
    """Copy the workflow's own files: the scripts, the package, the icons."""
    for name in WORKFLOW_FILES:
        shutil.copy2(root / name, stage / name)

    shutil.copytree(
        root / PACKAGE,
        stage / PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )

    (stage / "icons").mkdir()
    for icon in sorted((root / "icons").glob("*.png")):
        shutil.copy2(icon, stage / "icons" / icon.name)

    width, height = png_size(root / "icons" / "icon.png")
    if min(width, height) < MIN_ICON:
        raise BuildError(
            f"icons/icon.png is {width}x{height}; Alfred asks for {MIN_ICON}x{MIN_ICON}."
        )
    shutil.copy2(root / "icons" / "icon.png", stage / "icon.png")


def write_zip(stage: Path, path: Path) -> None:
    """Zip the staged folder with sorted entries, one timestamp and plain modes."""
    entries = {}
    for entry in stage.rglob("*"):
        name = entry.relative_to(stage).as_posix()
        entries[f"{name}/" if entry.is_dir() else name] = entry

    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    with zipfile.ZipFile(partial, "w") as z:
        for name in sorted(entries):
            entry = entries[name]
            info = zipfile.ZipInfo(name, ZIP_TIME)
            # Unix modes, so that launch.sh stays executable once Alfred unpacks it.
            info.create_system = 3
            if entry.is_dir():
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                z.writestr(info, b"")
                continue

            executable = entry.stat().st_mode & 0o111
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, entry.read_bytes())
    os.replace(partial, path)


# -- the build ----------------------------------------------------------------


def build(out: Path = DEFAULT_OUT, cache: Path = DEFAULT_CACHE, root: Path = ROOT) -> Build:
    """Build the bundle into out and return what it carries."""
    started = time.monotonic()
    name, version = read_identity(root)
    pins = read_pins(root)
    cache.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="bundle-", dir=cache) as scratch:
        fetcher = Fetcher(cache, Path(scratch))
        stage = Path(scratch) / "stage"
        stage.mkdir()
        stage_workflow(root, stage)

        oldest, wheels = resolve(pins, fetcher)
        native_version = pinned_native_version(wheels)
        resolved, pure = {}, []
        for wheel in wheels:
            project, wheel_version, _, tags = parse_wheel_filename(wheel.name)
            resolved[str(project)] = str(wheel_version)
            if all(tag.platform == "any" for tag in tags):
                pure.append(wheel)
            elif project != canonicalize_name(NATIVE):
                raise BuildError(f"{wheel.name} is compiled, and only {NATIVE} can be carried.")
        if resolved.get(canonicalize_name(NATIVE)) != native_version:
            raise BuildError(f"pip resolved a {NATIVE} other than the {native_version} pinned.")

        lib = stage / "lib"
        for wheel in pure:
            unpack_wheel(wheel, lib)
        if (lib / "pydantic_core").exists():
            raise BuildError("lib/ must not hold a compiled pydantic_core.")

        pythons, left_out = supported_pythons(pure, oldest)
        combos = [(machine, python) for machine in MACHINES for python in pythons]
        # Each download is mostly pip starting and waiting for the index, so a
        # few run at once.
        with ThreadPoolExecutor(max_workers=4) as pool:
            natives = list(pool.map(lambda c: fetch_native(native_version, *c, fetcher), combos))
        found, missing = {}, []
        for (machine, python), wheel in zip(combos, natives, strict=True):
            tag = native_tag(machine, python)
            if wheel is None:
                missing.append(tag)
            else:
                unpack_wheel(wheel, stage / "lib-native" / tag)
                found[tag] = wheel.name
        if not found:
            raise BuildError(f"No {NATIVE} build was found for any Mac.")

        out.mkdir(parents=True, exist_ok=True)
        path = out / bundle_name(name, version)
        write_zip(stage, path)

    size = path.stat().st_size
    if size >= MAX_SIZE:
        path.unlink()
        raise BuildError(
            f"The bundle is {size / 1e6:.1f} MB, over the {MAX_SIZE / 1e6:.0f} MB cap."
        )
    return Build(
        path=path,
        size=size,
        seconds=time.monotonic() - started,
        resolved=resolved,
        native_version=native_version,
        found=found,
        missing=missing,
        left_out=left_out,
    )


def report(result: Build) -> str:
    """A plain summary of a build, for the terminal."""
    lines = [
        f"{result.path} ({result.size / 1e6:.1f} MB, {result.seconds:.0f} s)",
        "pure-Python libraries in lib/: "
        + ", ".join(
            f"{n} {v}" for n, v in sorted(result.resolved.items()) if n != "pydantic-core"
        ),
        f"{NATIVE} {result.native_version} in lib-native/: {', '.join(sorted(result.found))}",
    ]
    if result.missing:
        lines.append(f"no wheel on PyPI for: {', '.join(result.missing)}")
    for python, why in sorted(result.left_out.items()):
        lines.append(f"not carried for Python {python}: {why}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the .alfredworkflow bundle.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the bundle")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder for downloads")
    parser.add_argument("--path", action="store_true", help="print the bundle's path and stop")
    args = parser.parse_args(argv)

    try:
        if args.path:
            print(bundle_path(args.out.resolve()))
            return 0
        print(report(build(args.out.resolve(), args.cache.resolve())))
    except BuildError as exc:
        print(f"bundle: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
