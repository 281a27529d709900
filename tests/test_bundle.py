"""The .alfredworkflow bundle: its layout, what it carries, and how main.py uses it.

The bundle is built once per test session with tools/bundle.py, into a
temporary folder; downloads are kept in ``.venv/bundle-cache``, so only the
first build on a machine waits for PyPI. Linux cannot load the Mac builds of
pydantic-core, so the runs of an unpacked bundle here use the project's own
Linux pydantic-core, and what main.py does on a Mac is checked in-process
with the CPU and platform set to a Mac's.
"""

import importlib.util
import json
import os
import plistlib
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from alfred import ROOT, Alfred, run_listing_modules
from conftest import dev_files, write_aws

import afwf_mfa


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bundle = _load("bundle_tool", ROOT / "tools" / "bundle.py")
workflow_main = _load("workflow_main", ROOT / "main.py")

COMBINATIONS = [(machine, python) for machine in bundle.MACHINES for python in bundle.PYTHONS]
VENDORED = ("afwf", "botocore", "configupdater", "filelock", "pydantic")

# The first 8 bytes of a thin 64-bit Mach-O file: its magic and its CPU type.
MACH_O_CPU = {"arm64": 0x0100000C, "x86_64": 0x01000007}
MACH_O_MAGIC = 0xFEEDFACF

USER = {
    "key": "AKIAEXAMPLEEXAMPLE01",
    "secret": "examplesecretexamplesecretexamplesecret0",
    "serials": ["arn:aws:iam::123456789012:mfa/dev"],
}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    return bundle.build(tmp_path_factory.mktemp("dist"), bundle.DEFAULT_CACHE)


@pytest.fixture(scope="session")
def entries(built) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(built.path) as z:
        return {info.filename: info for info in z.infolist()}


def extract(path: Path, target: Path) -> Path:
    """Unpack the bundle with its file modes, as Alfred does on import."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            z.extract(info, target)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target / info.filename, mode)
    return target


@pytest.fixture(scope="session")
def unpacked_once(built, tmp_path_factory) -> Path:
    """One unpacked copy for the tests that only look at it."""
    return extract(built.path, tmp_path_factory.mktemp("unpacked") / "workflow")


@pytest.fixture
def unpacked(built, tmp_path) -> Path:
    """A copy of its own for a test that runs the workflow, which writes into it."""
    return extract(built.path, tmp_path / "workflow")


def mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0o777


# -- the file ------------------------------------------------------------------


def test_the_bundle_is_named_after_the_workflow_and_its_version(built):
    with open(ROOT / "info.plist", "rb") as f:
        plist = plistlib.load(f)

    assert plist["version"] == afwf_mfa.__version__
    assert built.path.name == f"AWS-MFA-{afwf_mfa.__version__}.alfredworkflow"


def test_the_bundle_stays_under_60_mb(built):
    assert built.path.stat().st_size == built.size
    assert built.size < 60 * 1000 * 1000


def test_the_zip_is_the_same_when_made_again_from_its_own_files(built, tmp_path):
    folder = extract(built.path, tmp_path / "again")

    bundle.write_zip(folder, tmp_path / "again.zip")

    assert (tmp_path / "again.zip").read_bytes() == built.path.read_bytes()


def test_entries_are_sorted_and_share_one_timestamp(entries):
    names = list(entries)

    assert names == sorted(names)
    assert {info.date_time for info in entries.values()} == {bundle.ZIP_TIME}


# -- the layout ----------------------------------------------------------------


def test_info_plist_is_at_the_root_with_the_scripts(entries):
    assert {"info.plist", "main.py", "launch.sh", "icon.png"} <= set(entries)
    assert mode(entries["launch.sh"]) & 0o111 == 0o111
    assert mode(entries["main.py"]) == 0o644


def test_the_package_is_carried_without_compiled_files(entries):
    package = {n for n in entries if n.startswith("afwf_mfa/") and not n.endswith("/")}
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "afwf_mfa").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }

    assert package == source
    assert not [n for n in entries if "__pycache__" in n or n.endswith(".pyc")]


def test_the_icons_are_carried_without_the_script_that_draws_them(entries, built, tmp_path):
    icons = {n for n in entries if n.startswith("icons/") and not n.endswith("/")}

    assert icons == {f"icons/{p.name}" for p in (ROOT / "icons").glob("*.png")}
    with zipfile.ZipFile(built.path) as z:
        head = z.read("icon.png")[:24]
        assert z.read("icon.png") == z.read("icons/icon.png")
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    assert width >= 256 and height >= 256


# -- what it carries -----------------------------------------------------------


def test_the_pure_libraries_are_carried_once_in_lib(entries):
    for package in VENDORED:
        assert f"lib/{package}/__init__.py" in entries, package

    assert not [n for n in entries if n.startswith("lib/") and re.search(r"\.(so|dylib)$", n)]
    assert not [n for n in entries if n.startswith("lib/pydantic_core")]


def test_the_runtime_pins_are_the_versions_carried(entries):
    carried = {n.lower() for n in entries}
    for pin in bundle.read_pins():
        name, version = pin.split("==")
        folder = f"lib/{re.sub(r'[-_.]+', '_', name).lower()}-{version}.dist-info/METADATA"
        assert folder.lower() in carried, pin


def test_botocore_carries_only_the_services_the_workflow_calls(entries):
    services = {n.split("/")[3] for n in entries if re.match(r"lib/botocore/data/[^/]+/.", n)}

    assert services == {"iam", "sts"}
    assert "lib/botocore/data/endpoints.json" in entries


def test_every_cpu_and_python_is_carried_or_accounted_for(built):
    carried = set(built.found)
    missing = set(built.missing)
    left_out = {bundle.native_tag(m, p) for m, p in COMBINATIONS if p in built.left_out}

    assert carried | missing | left_out == {bundle.native_tag(m, p) for m, p in COMBINATIONS}
    assert not carried & (missing | left_out)
    # The oldest Python that every pinned library allows, and every one after it.
    assert {p for _, p in COMBINATIONS if bundle.native_tag("arm64", p) in carried} >= {
        "3.11",
        "3.12",
        "3.13",
    }


def test_one_pydantic_core_build_for_each_cpu_and_python(built, entries):
    with zipfile.ZipFile(built.path) as z:
        for tag in built.found:
            machine = tag.split("-macosx_")[1]
            python = tag[2:].split("-")[0]
            compiled = [
                n
                for n in entries
                if n.startswith(f"lib-native/{tag}/") and re.search(r"\.(so|dylib)$", n)
            ]

            assert compiled == [
                f"lib-native/{tag}/pydantic_core/_pydantic_core.cpython-{python}-darwin.so"
            ]
            magic, cpu = struct.unpack("<II", z.read(compiled[0])[:8])
            assert (magic, cpu) == (MACH_O_MAGIC, MACH_O_CPU[machine]), tag
            version = f"lib-native/{tag}/pydantic_core-{built.native_version}.dist-info/METADATA"
            assert version in entries

    folders = {
        n.split("/")[1] for n in entries if n.startswith("lib-native/") and n != "lib-native/"
    }
    assert folders == set(built.found)


def test_pydantic_core_is_the_version_pydantic_pins(entries, built):
    with zipfile.ZipFile(built.path) as z:
        (metadata,) = [
            n for n in entries if re.fullmatch(r"lib/pydantic-[^/]+\.dist-info/METADATA", n)
        ]
        pins = z.read(metadata).decode()

    assert f"Requires-Dist: pydantic-core=={built.native_version}" in pins


# -- main.py's choice of library folder -------------------------------------------


@pytest.mark.parametrize(("machine", "python"), COMBINATIONS)
def test_main_chooses_the_folder_for_each_cpu_and_python(built, unpacked_once, machine, python):
    tag = bundle.native_tag(machine, python)
    version_info = (*map(int, python.split(".")), 0, "final", 0)

    chosen = workflow_main.native_folder(machine, version_info, str(unpacked_once))

    expected = str(unpacked_once / "lib-native" / tag) if tag in built.found else None
    assert chosen == expected


@pytest.mark.parametrize(
    ("machine", "version_info", "abiflags"),
    [
        ("ppc64", (3, 12, 0), ""),
        ("aarch64", (3, 12, 0), ""),
        ("arm64", (3, 9, 6), ""),
        ("x86_64", (3, 16, 0), ""),
        ("arm64", (3, 14, 0), "t"),
    ],
)
def test_main_chooses_no_folder_for_an_unsupported_combination(
    unpacked_once, machine, version_info, abiflags
):
    root = str(unpacked_once)
    assert workflow_main.native_folder(machine, version_info, root, abiflags) is None


# -- main.py on a Mac, in-process ---------------------------------------------------


@pytest.fixture
def mac(monkeypatch, tmp_path, unpacked_once):
    """main.py as it runs from the unpacked bundle on an Apple silicon Mac.

    The real ``xattr`` is replaced by a script that logs its arguments and
    says the quarantine mark is there while the file ``marked`` exists.
    """
    log = tmp_path / "xattr.log"
    flag = tmp_path / "marked"
    fake = tmp_path / "xattr"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        f'if [ "$1" = -p ] && [ ! -e "{flag}" ]; then exit 1; fi\n'
        "exit 0\n"
    )
    fake.chmod(0o755)
    log.touch()

    monkeypatch.setattr(workflow_main, "HERE", str(unpacked_once))
    monkeypatch.setattr(workflow_main, "XATTR", str(fake))
    monkeypatch.setattr(workflow_main.platform, "machine", lambda: "arm64")
    monkeypatch.delattr(os, "getxattr", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("alfred_workflow_cache", str(tmp_path / "cache"))
    return {"root": unpacked_once, "log": log, "flag": flag, "cache": tmp_path / "cache"}


def test_on_a_mac_the_cpus_build_and_lib_go_on_the_path(mac, built):
    tag = bundle.native_tag("arm64", f"{sys.version_info[0]}.{sys.version_info[1]}")
    if tag not in built.found:
        pytest.skip(f"the bundle carries no {tag}")

    assert workflow_main._add_paths() is None

    root = mac["root"]
    assert sys.path[:3] == [str(root), str(root / "lib"), str(root / "lib-native" / tag)]


def test_on_a_mac_the_quarantine_mark_is_cleared_once(mac):
    mac["flag"].touch()

    workflow_main._add_paths()
    workflow_main._add_paths()

    calls = mac["log"].read_text().splitlines()
    root = mac["root"]
    clearing = [c for c in calls if c.startswith("-dr")]
    assert clearing == [f"-dr com.apple.quarantine {root / 'lib'} {root / 'lib-native'}"]
    assert calls.index(clearing[0]) == len(calls) - 1, "checked again after clearing"
    assert (mac["cache"] / "quarantine-cleared").exists()


def test_on_a_mac_an_unmarked_bundle_is_checked_once_and_left_alone(mac):
    workflow_main._add_paths()
    checked = mac["log"].read_text().splitlines()
    workflow_main._add_paths()

    assert checked and all(c.startswith("-p com.apple.quarantine ") for c in checked)
    assert mac["log"].read_text().splitlines() == checked


def test_on_a_mac_a_reinstalled_bundle_is_checked_again(mac):
    workflow_main._add_paths()
    before = len(mac["log"].read_text().splitlines())
    # What the marker would hold after the run of another copy of the workflow.
    (mac["cache"] / "quarantine-cleared").write_text("1 1\n")

    workflow_main._add_paths()

    assert len(mac["log"].read_text().splitlines()) > before


@pytest.mark.parametrize(("machine", "python"), [("ppc64", None), ("arm64", (3, 16))])
def test_on_a_mac_an_unsupported_cpu_or_python_is_told_plainly(
    mac, monkeypatch, capsys, machine, python
):
    monkeypatch.setattr(workflow_main.platform, "machine", lambda: machine)
    if python:
        monkeypatch.setattr(sys, "version_info", (*python, 0, "final", 0))
    monkeypatch.setattr(sys, "argv", ["main.py", "filter", ""])

    assert workflow_main.main() == 0

    (item,) = json.loads(capsys.readouterr().out)["items"]
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert item["title"] == f"The workflow has no libraries for Python {version} on {machine}"
    if machine == "arm64":
        assert re.search(r"Python 3\.1\d–3\.15 from python\.org or Homebrew", item["subtitle"])
    assert item["valid"] is False

    monkeypatch.setattr(sys, "argv", ["main.py", "probe"])
    assert workflow_main.main() == 1, "launch.sh must go on to another interpreter"


def test_elsewhere_the_mark_is_left_alone_and_no_native_folder_is_used(mac, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")

    assert workflow_main._add_paths() is None

    root = mac["root"]
    assert sys.path[:2] == [str(root), str(root / "lib")]
    assert mac["log"].read_text() == ""


def test_a_checkout_without_lib_puts_only_itself_on_the_path(mac, monkeypatch):
    monkeypatch.setattr(workflow_main, "HERE", str(ROOT))
    before = list(sys.path)

    assert workflow_main._add_paths() is None

    assert sys.path == [str(ROOT), *before]
    assert mac["log"].read_text() == ""


# -- the unpacked bundle, run ------------------------------------------------------


def test_the_unpacked_bundle_lists_profiles_with_its_own_libraries(unpacked, tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    write_aws(home, *dev_files(USER))
    env = {**Alfred(home, folder=unpacked).env(), "PYTHONNOUSERSITE": "1"}
    listing = tmp_path / "modules.json"

    result, files = run_listing_modules(unpacked, ["filter", ""], env, listing)

    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert items and items[0]["icon"]["path"] != "icons/error.png", items
    assert files["afwf_mfa.cli"].startswith(f"{unpacked}/afwf_mfa/")
    for name in ("afwf", "botocore", "pydantic"):
        assert files[name].startswith(f"{unpacked}/lib/{name}/"), name
    # Linux cannot load the Mac builds, so pydantic-core is the interpreter's own.
    assert not files["pydantic_core"].startswith(str(unpacked))


def test_the_unpacked_bundle_logs_in_with_its_trimmed_botocore(unpacked, home, user, local_sts):
    extra = {
        "python_path": sys.executable,
        "PYTHONNOUSERSITE": "1",
        **local_sts.endpoint_env(),
    }
    alfred = Alfred(home, extra, folder=unpacked)
    # No mfa_serial, so that IAM is asked for the device as well.
    write_aws(home, *dev_files(user, serial=False))

    (item,) = [i for i in alfred.items("dev 123456") if i.get("valid", True)]
    outputs = alfred.enter(item)

    assert outputs.notifications[0][0].startswith("dev_mfa ready until"), outputs


def test_without_site_packages_the_unpacked_bundle_says_what_is_missing(unpacked, tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    env = {**Alfred(home, folder=unpacked).env(), "PYTHONNOUSERSITE": "1"}

    # Without site-packages there is no pydantic-core this Linux Python can load.
    result = subprocess.run(
        [sys.executable, "-S", "main.py", "filter", ""],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    (item,) = json.loads(result.stdout)["items"]
    assert item["title"].startswith("The workflow's libraries are missing for Python")
    assert "pydantic_core" in item["subtitle"]
