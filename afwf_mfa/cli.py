"""The command line that Alfred's objects call, usable from a terminal too.

``filter QUERY``  print the Script Filter JSON for what was typed after ``mfa``;
``run ARG``       do what Enter or a modifier key handed over (a login, one with a
                  code from a YubiKey, an export, making a session the default,
                  signing out, opening the console);
``login PROFILE CODE``  get a session from a terminal;
``last``          print the last profile and a space, for the hotkey;
``probe``         exit 0 when this interpreter can run the workflow.

Only this module turns errors into what the user sees. Stdout carries
Alfred's JSON and nothing else; details go to the log.
"""

import json
import logging
import os
import sys

from . import logs, timetext
from . import settings as settings_module
from .errors import ChooseDevice, MfaError

log = logging.getLogger(__name__)

UNEXPECTED = "Something unexpected went wrong."


def _unexpected_fix(log_path: str | None) -> str:
    return f"Details are in {log_path}." if log_path else "Open Alfred's debugger for details."


def filter_command(text: str) -> int:
    from . import profiles, views
    from . import query as query_module
    from .store import Store

    log_path = None
    try:
        settings = settings_module.load()
        log_path = logs.setup(settings)
        files = profiles.load_cached(settings)
        query = query_module.parse(text, list(files.profiles))
        items = views.render(files, Store(settings.data_dir), query, timetext.now())
        log.debug(
            "filter: %d profiles, %s, %d items",
            len(files.profiles),
            "profile and code" if query.profile else "list",
            len(items),
        )
    except MfaError as exc:
        items = [views.error_item(exc)]
    except Exception:
        log.exception("filter failed")
        items = [views.error_item(MfaError(UNEXPECTED, _unexpected_fix(log_path)))]
    print(views.feedback(items))
    return 0


def _request(args: list[str]) -> dict:
    """What Enter (or a modifier) handed over, or PROFILE CODE typed in a terminal."""
    if len(args) == 1 and args[0].lstrip().startswith("{"):
        request = json.loads(args[0])
        if isinstance(request, dict) and isinstance(request.get("profile"), str):
            return request
    elif len(args) in (2, 3):
        serial = args[2] if len(args) == 3 else None
        return {"action": "login", "profile": args[0], "code": args[1], "serial": serial}
    raise MfaError("The login needs a profile and a code.", "Use: login PROFILE CODE")


def _alfred_output(arg: str, outcome: str, title: str, text: str) -> str:
    variables = {"outcome": outcome, "notification_title": title, "notification_text": text}
    return json.dumps({"alfredworkflow": {"arg": arg, "variables": variables}})


def _login_result(settings, request: dict, in_alfred: bool):
    from .login import Result, login
    from .store import Store

    store = Store(settings.data_dir)
    outcome = login(
        settings, store, request["profile"], str(request.get("code", "")), request.get("serial")
    )
    granted = timetext.span(round(outcome.granted / 60) * 60)
    until = timetext.clock(outcome.expiration)
    title = f"{outcome.session_name} ready until {until} ({granted})"
    text = f"Use it with --profile {outcome.session_name}."
    if outcome.roles:
        text += f" Roles without a code: {', '.join(outcome.roles)}."
    if outcome.skipped:
        text += f" Left alone, not written here: {', '.join(outcome.skipped)}."
    if outcome.default:
        text += " [default] has it too."
    if in_alfred:
        text += " Its expiry is on the clipboard."
    return Result("ok", title, text, timetext.iso(outcome.expiration))


FAILED_TITLES = {
    "login": "No MFA session for {}",
    "export": "Nothing to export for {}",
    "default": "{} was not made the default",
    "signout": "{} is still signed in",
    "console": "Cannot open the console for {}",
}


def _modifier_result(settings, action: str, name: str):
    """What a modifier key on a profile does; a login does not load this."""
    from . import actions

    work = {
        "export": actions.export,
        "default": actions.make_default,
        "signout": actions.sign_out,
        "console": actions.console_url,
    }.get(action)
    if work is None:
        raise MfaError(f"Unknown action {action!r}.", "Update the workflow.")
    return work(settings, name)


def run_command(args: list[str]) -> int:
    """Carry out what Enter or a modifier key asked for, and report it to Alfred."""
    in_alfred = "alfred_version" in os.environ
    log_path = None
    request = {"action": "login", "profile": "the profile"}
    try:
        settings = settings_module.load()
        log_path = logs.setup(settings)
        request = _request(args)
        action = request.get("action", "login")
        name = request["profile"]
        if action == "login":
            result = _login_result(settings, request, in_alfred)
        elif action == "yubikey":
            from . import yubikey

            code = yubikey.code_for(settings, name, request.get("serial"))
            result = _login_result(settings, {**request, "code": code}, in_alfred)
        else:
            result = _modifier_result(settings, action, name)
    except ChooseDevice as exc:
        title = f"Pick {exc.profile}'s MFA device"
        arg = f"{exc.profile} {request.get('code', '')}"
        return _report(in_alfred, "choose", arg, title, str(exc), status=3)
    except MfaError as exc:
        title = FAILED_TITLES.get(request.get("action", "login"), FAILED_TITLES["login"])
        return _report(in_alfred, "error", "", title.format(request["profile"]), str(exc))
    except Exception:
        log.exception("%s failed", request.get("action", "login"))
        title = FAILED_TITLES.get(request.get("action", "login"), FAILED_TITLES["login"])
        fix = f"{UNEXPECTED} {_unexpected_fix(log_path)}"
        return _report(in_alfred, "error", "", title.format(request["profile"]), fix)
    return _report(in_alfred, result.outcome, result.arg, result.title, result.text, status=0)


def _report(in_alfred: bool, outcome: str, arg: str, title: str, text: str, status=1) -> int:
    if in_alfred:
        print(_alfred_output(arg, outcome, title, text))
        return 0
    stream = sys.stderr if outcome in ("error", "choose") else sys.stdout
    print(title, file=stream)
    print(text, file=stream)
    if arg and stream is sys.stdout:
        print(arg)
    return status


def last_command() -> int:
    from .store import Store

    try:
        settings = settings_module.load()
        logs.setup(settings)
        name = Store(settings.data_dir).last_profile()
    except MfaError:
        name = None
    sys.stdout.write(f"{name} " if name else "")
    return 0


def probe_command() -> int:
    """Exit 0 when every library the workflow needs imports here."""
    try:
        import afwf.item  # noqa: F401
        import botocore.configloader  # noqa: F401
        import configupdater  # noqa: F401
        import filelock  # noqa: F401
    except ImportError:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else ("filter", [])
    if command == "filter":
        return filter_command(" ".join(rest))
    if command in ("run", "login"):
        return run_command(rest)
    if command == "last":
        return last_command()
    if command == "probe":
        return probe_command()
    print(__doc__, file=sys.stderr)
    return 2
