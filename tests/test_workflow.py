"""info.plist's graph, and how the scripts find a Python to run with."""

import re
import shutil
import stat
import subprocess
import sys

from alfred import (
    CALL_TRIGGER,
    CLIPBOARD,
    EXTERNAL_TRIGGER,
    HOTKEY,
    NOTIFICATION,
    ROOT,
    RUN_SCRIPT,
    Alfred,
)


def test_every_connection_lands_on_an_object(alfred):
    uids = set(alfred.objects)

    for source, connections in alfred.plist["connections"].items():
        assert source in uids
        for connection in connections:
            assert connection["destinationuid"] in uids


def test_keyword_filter_runs_on_every_keystroke_with_argv(alfred):
    config = alfred.keyword_filter()["config"]

    assert config["keyword"] == "{var:keyword}"
    assert alfred.config["keyword"] == "mfa"
    assert config["scriptargtype"] == 1
    assert config["type"] == 0
    assert config["alfredfiltersresults"] is False
    assert config["argumenttype"] == 1
    assert config["queuemode"] == 1


def test_login_reaches_the_clipboard_only_on_success_and_always_notifies(alfred):
    (login,) = {c["destinationuid"] for c in alfred.connections(alfred.keyword_filter()["uid"])}
    assert alfred.objects[login]["type"] == RUN_SCRIPT
    targets = {alfred.objects[c["destinationuid"]]["type"]: c for c in alfred.connections(login)}
    assert NOTIFICATION in targets
    assert CLIPBOARD not in targets, "an error message must never reach the clipboard"


def test_hotkey_is_unassigned_and_leads_to_the_keyword_filter(alfred):
    (hotkey,) = alfred.of_type(HOTKEY)
    assert (hotkey["config"]["hotkey"], hotkey["config"]["hotmod"]) == (0, 0)

    (script,) = alfred.connections(hotkey["uid"])
    (call,) = alfred.connections(script["destinationuid"])
    call_obj = alfred.objects[call["destinationuid"]]
    assert call_obj["type"] == CALL_TRIGGER
    (trigger,) = [
        t
        for t in alfred.of_type(EXTERNAL_TRIGGER)
        if t["config"]["triggerid"] == call_obj["config"]["externaltriggerid"]
    ]
    (opened,) = alfred.connections(trigger["uid"])
    assert opened["destinationuid"] == alfred.keyword_filter()["uid"]


def test_the_package_reports_the_version_info_plist_gives(alfred):
    result = subprocess.run(
        [sys.executable, "-c", "import afwf_mfa; print(afwf_mfa.__version__)"],
        cwd=ROOT / "tests",
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == alfred.plist["version"]


def test_every_script_variable_has_a_configuration_entry(alfred):
    offered = {e["variable"] for e in alfred.plist["userconfigurationconfig"]}
    read = set(re.findall(r'env\.get\("([a-z_]+)"', (ROOT / "afwf_mfa/settings.py").read_text()))
    # The launcher's own lowercase variables are the ones it never assigns.
    launcher = (ROOT / "launch.sh").read_text()
    used = set(re.findall(r"\$\{?([a-z_]+)", launcher))
    assigns = r"\b{0}=|read -r {0}\b|for {0}\b|local {0}\b"
    read |= {name for name in used if not re.search(assigns.format(name), launcher)}

    # Alfred sets its own alfred_* variables; the rest must be offered.
    assert read - {v for v in read if v.startswith("alfred_")} <= offered
    assert {"keyword", "session_duration", "python_path", "ca_bundle"} <= read


def _copy_workflow(tmp_path):
    folder = tmp_path / "workflow"
    folder.mkdir()
    for name in ("info.plist", "main.py", "launch.sh"):
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(ROOT / "afwf_mfa", folder / "afwf_mfa")
    return folder


def test_no_usable_python_says_so_in_the_list(tmp_path, home):
    folder = _copy_workflow(tmp_path)
    alfred = Alfred(home, {"python_path": "/nowhere/python3"}, folder=folder)

    items = alfred.items("")

    assert items[0]["title"] == "The configured Python (/nowhere/python3) cannot run this workflow"
    assert "python.org" in items[0]["subtitle"]
    assert items[0]["valid"] is False


def test_a_python_without_the_libraries_gets_a_message_not_a_traceback(tmp_path, home):
    folder = _copy_workflow(tmp_path)
    bare = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"

    result = Alfred(home, folder=folder)._run(f"{bare} main.py filter ''", [])

    assert "Traceback" not in result.stderr
    assert "libraries are missing" in result.stdout


def test_the_chosen_python_is_remembered_privately(home, alfred):
    del alfred.extra_env["python_path"]
    alfred.config["python_path"] = ""

    alfred.items("")

    remembered = alfred.cache_dir / "python"
    assert (ROOT / ".venv/bin/python").samefile(remembered.read_text().strip())
    assert stat.S_IMODE(alfred.cache_dir.stat().st_mode) == 0o700


def test_a_remembered_python_that_stopped_working_is_replaced(home, alfred):
    del alfred.extra_env["python_path"]
    alfred.config["python_path"] = ""
    alfred.cache_dir.mkdir(parents=True)
    bare = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
    (alfred.cache_dir / "python").write_text(bare + "\n")

    first = alfred.items("")
    second = alfred.items("")

    assert "libraries are missing" in first[0]["title"]
    assert second[0]["title"] == "No AWS profiles found"
    assert (ROOT / ".venv/bin/python").samefile((alfred.cache_dir / "python").read_text().strip())


def test_the_keyword_is_configurable_and_checked(home, alfred):
    alfred.config["keyword"] = "aws"
    assert alfred.items("123456")[0]["subtitle"] == "For example: aws dev 123456"

    alfred.config["keyword"] = "m"
    assert alfred.items("")[0]["title"] == "The keyword 'm' is too short or has spaces."
