"""Runs the workflow the way Alfred does, from its own info.plist.

It finds the keyword's Script Filter, runs its script with bash, the query
as ``$1``, the workflow folder as working directory and Alfred's variables
in a bare environment; and on Enter it follows the connections from the
chosen item through Run Scripts, Conditionals, Copy to Clipboard, Post
Notification and External Triggers, recording what each output did.
"""

import dataclasses
import json
import os
import plistlib
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT_FILTER = "alfred.workflow.input.scriptfilter"
RUN_SCRIPT = "alfred.workflow.action.script"
CONDITIONAL = "alfred.workflow.utility.conditional"
CLIPBOARD = "alfred.workflow.output.clipboard"
NOTIFICATION = "alfred.workflow.output.notification"
CALL_TRIGGER = "alfred.workflow.output.callexternaltrigger"
EXTERNAL_TRIGGER = "alfred.workflow.trigger.external"
HOTKEY = "alfred.workflow.trigger.hotkey"
OPEN_URL = "alfred.workflow.action.openurl"

MODIFIERS = {"cmd": 1048576, "alt": 524288, "ctrl": 262144, "shift": 131072}

# Alfred runs scripts without a login shell: this is all the PATH they get.
ALFRED_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


@dataclasses.dataclass
class Outputs:
    """What the user saw and got after an action."""

    clipboard: list[str] = dataclasses.field(default_factory=list)
    notifications: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    reopened: list[str] = dataclasses.field(default_factory=list)
    opened: list[str] = dataclasses.field(default_factory=list)
    stderr: list[str] = dataclasses.field(default_factory=list)


class Alfred:
    """One installed copy of the workflow, driven like Alfred 5 drives it."""

    def __init__(self, home: Path, extra_env: dict[str, str] | None = None, folder=ROOT):
        self.folder = Path(folder)
        with open(self.folder / "info.plist", "rb") as f:
            self.plist = plistlib.load(f)
        self.objects = {o["uid"]: o for o in self.plist["objects"]}
        self.home = home
        self.extra_env = dict(extra_env or {})
        self.config = {
            entry["variable"]: _as_variable(entry["config"].get("default", ""))
            for entry in self.plist.get("userconfigurationconfig", [])
        }
        bundle = self.plist["bundleid"]
        self.data_dir = home / "Library/Application Support/Alfred/Workflow Data" / bundle
        self.cache_dir = (
            home / "Library/Caches/com.runningwithcrayons.Alfred/Workflow Data" / bundle
        )

    # -- the environment --------------------------------------------------

    def env(self, variables: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            "PATH": ALFRED_PATH,
            "HOME": str(self.home),
            "LANG": "en_US.UTF-8",
            "alfred_version": "5.5",
            "alfred_version_build": "2257",
            "alfred_workflow_bundleid": self.plist["bundleid"],
            "alfred_workflow_name": self.plist["name"],
            "alfred_workflow_version": self.plist["version"],
            "alfred_workflow_uid": "user.workflow.TEST",
            "alfred_workflow_data": str(self.data_dir),
            "alfred_workflow_cache": str(self.cache_dir),
            "alfred_preferences": str(self.home / "Alfred.alfredpreferences"),
        }
        env.update(self.plist.get("variables", {}))
        env.update(self.config)
        env.update(self.extra_env)
        env.update(variables or {})
        return env

    def _run(self, script: str, argv: list[str], variables=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["/bin/bash", "-c", script, "bash", *argv],
            cwd=self.folder,
            env=self.env(variables),
            capture_output=True,
            text=True,
            timeout=60,
        )

    # -- finding objects -------------------------------------------------

    def of_type(self, kind: str) -> list[dict]:
        return [o for o in self.plist["objects"] if o["type"] == kind]

    def keyword_filter(self) -> dict:
        keyword = self.config.get("keyword", "mfa")
        for obj in self.of_type(SCRIPT_FILTER):
            if obj["config"]["keyword"] in (keyword, "{var:keyword}"):
                return obj
        raise LookupError("no script filter for the keyword")

    def connections(self, uid: str) -> list[dict]:
        return self.plist["connections"].get(uid, [])

    # -- what the user does ---------------------------------------------

    def type(self, query: str, uid: str | None = None) -> dict:
        """Type ``query`` after the keyword; return the Script Filter JSON."""
        obj = self.objects[uid] if uid else self.keyword_filter()
        config = obj["config"]
        assert config["scriptargtype"] == 1, "the filter takes the query as argv"
        result = self._run(config["script"], [query])
        if result.returncode != 0:
            raise AssertionError(f"script filter failed: {result.stderr}")
        return json.loads(result.stdout)

    def items(self, query: str) -> list[dict]:
        return self.type(query)["items"]

    def enter(self, item: dict, modifier: str | None = None) -> Outputs:
        """Press Enter on ``item`` as the filter printed it, holding ``modifier`` if given."""
        outputs = Outputs()
        chosen = item
        if modifier is not None:
            chosen = {**item, **(item.get("mods") or {}).get(modifier, {"valid": False})}
        if chosen.get("valid", True) is False:
            if modifier is None:
                outputs.reopened.append(item.get("autocomplete", ""))
            return outputs
        variables = dict(chosen.get("variables") or {})
        code = MODIFIERS.get(modifier, 0)
        for connection in self.connections(self.keyword_filter()["uid"]):
            if connection["modifiers"] == code:
                self._flow(connection["destinationuid"], chosen.get("arg", ""), variables, outputs)
        return outputs

    def hotkey(self) -> Outputs:
        """Press the workflow's hotkey."""
        outputs = Outputs()
        for trigger in self.of_type(HOTKEY):
            for connection in self.connections(trigger["uid"]):
                self._flow(connection["destinationuid"], "", {}, outputs)
        return outputs

    # -- following the graph --------------------------------------------

    @staticmethod
    def _substitute(text: str, arg: str, variables: dict[str, str]) -> str:
        text = re.sub(r"\{var:([^}]+)\}", lambda m: variables.get(m.group(1), ""), text)
        return text.replace("{query}", arg)

    def _flow(self, uid: str, arg: str, variables: dict, outputs: Outputs) -> None:
        obj = self.objects[uid]
        kind, config = obj["type"], obj["config"]
        next_uids = [c["destinationuid"] for c in self.connections(uid)]

        if kind == RUN_SCRIPT:
            result = self._run(config["script"], [arg], variables)
            outputs.stderr.append(result.stderr)
            assert result.returncode == 0, result.stderr
            arg = result.stdout
            with_vars = None
            try:
                with_vars = json.loads(arg)["alfredworkflow"]
            except (ValueError, KeyError, TypeError):
                pass
            if with_vars is not None:
                arg = with_vars.get("arg", "")
                variables = {**variables, **with_vars.get("variables", {})}
        elif kind == CONDITIONAL:
            chosen = None
            for condition in config["conditions"]:
                value = self._substitute(condition["inputstring"], arg, variables)
                if condition["matchmode"] == 0 and value == condition["matchstring"]:
                    chosen = condition["uid"]
                    break
            next_uids = [
                c["destinationuid"]
                for c in self.connections(uid)
                if c.get("sourceoutputuid") == chosen
                or (chosen is None and c.get("sourceoutputuid") == "else")
            ]
        elif kind == CLIPBOARD:
            outputs.clipboard.append(self._substitute(config["clipboardtext"], arg, variables))
        elif kind == NOTIFICATION:
            outputs.notifications.append(
                (
                    self._substitute(config["title"], arg, variables),
                    self._substitute(config["text"], arg, variables),
                )
            )
        elif kind == CALL_TRIGGER:
            trigger_id = config["externaltriggerid"]
            passed = arg if config.get("passinputasargument") else ""
            next_uids = [
                t["uid"]
                for t in self.of_type(EXTERNAL_TRIGGER)
                if t["config"]["triggerid"] == trigger_id
            ]
            arg = passed
        elif kind == EXTERNAL_TRIGGER:
            pass
        elif kind == OPEN_URL:
            outputs.opened.append(self._substitute(config["url"], arg, variables))
        elif kind == SCRIPT_FILTER:
            # Alfred opens with the keyword and the argument typed.
            outputs.reopened.append(arg)
            return
        else:
            raise AssertionError(f"the runner does not know {kind}")

        for next_uid in next_uids:
            self._flow(next_uid, arg, variables, outputs)


# Runs main.py as launch.sh does, then writes where each imported module came from.
_RUN_AND_LIST_MODULES = """
import json, runpy, sys
out = sys.argv.pop(1)
sys.argv[0] = "main.py"
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit:
    pass
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())}
with open(out, "w") as f:
    json.dump(files, f)
"""


def run_listing_modules(folder, args, env, listing) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``main.py ARGS`` in ``folder``; its result and the modules it imported, by file."""
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, str(listing), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = json.loads(Path(listing).read_text()) if Path(listing).exists() else {}
    return result, modules


def _as_variable(value) -> str:
    """A configuration default as Alfred hands it to scripts (checkboxes as 1 or 0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def python_env() -> dict[str, str]:
    """Points the workflow at the interpreter running the tests."""
    import sys

    return {"python_path": os.path.abspath(sys.executable)}
