"""The command line that Alfred's objects call, usable from a terminal too.

``filter QUERY``  print the Script Filter JSON for what was typed after ``mfa``;
``login ARG``     get a session (ARG is what Enter hands over, or PROFILE CODE);
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


def _login_request(args: list[str]) -> tuple[str, str, str | None]:
    if len(args) == 1 and args[0].lstrip().startswith("{"):
        request = json.loads(args[0])
        return request["profile"], request["code"], request.get("serial")
    if len(args) in (2, 3):
        return args[0], args[1], (args[2] if len(args) == 3 else None)
    raise MfaError("The login needs a profile and a code.", "Use: login PROFILE CODE")


def _alfred_output(arg: str, outcome: str, title: str, text: str) -> str:
    variables = {"outcome": outcome, "notification_title": title, "notification_text": text}
    return json.dumps({"alfredworkflow": {"arg": arg, "variables": variables}})


def login_command(args: list[str]) -> int:
    from .login import login
    from .store import Store

    in_alfred = "alfred_version" in os.environ
    log_path = None
    profile = "the profile"
    try:
        settings = settings_module.load()
        log_path = logs.setup(settings)
        profile, code, serial = _login_request(args)
        outcome = login(settings, Store(settings.data_dir), profile, code, serial)
    except ChooseDevice as exc:
        title = f"Pick {exc.profile}'s MFA device"
        arg = f"{exc.profile} {code}"
        return _report(in_alfred, "choose", arg, title, str(exc), status=3)
    except MfaError as exc:
        return _report(in_alfred, "error", "", f"No MFA session for {profile}", str(exc))
    except Exception:
        log.exception("login failed")
        return _report(
            in_alfred,
            "error",
            "",
            f"No MFA session for {profile}",
            f"{UNEXPECTED} {_unexpected_fix(log_path)}",
        )

    granted = timetext.span(round(outcome.granted / 60) * 60)
    until = timetext.clock(outcome.expiration)
    title = f"{outcome.session_name} ready until {until} ({granted})"
    text = f"Use it with --profile {outcome.session_name}."
    if in_alfred:
        text += " Its expiry is on the clipboard."
    return _report(in_alfred, "ok", timetext.iso(outcome.expiration), title, text, status=0)


def _report(in_alfred: bool, outcome: str, arg: str, title: str, text: str, status=1) -> int:
    if in_alfred:
        print(_alfred_output(arg, outcome, title, text))
        return 0
    stream = sys.stdout if outcome == "ok" else sys.stderr
    print(title, file=stream)
    print(text, file=stream)
    if outcome == "ok":
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
    if command == "login":
        return login_command(rest)
    if command == "last":
        return last_command()
    if command == "probe":
        return probe_command()
    print(__doc__, file=sys.stderr)
    return 2
