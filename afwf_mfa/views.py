"""The Alfred items for each state of the list, the typed code and errors.

Everything a user reads in Alfred is worded here. Items carry no secret:
the only one that must pass the typed code on to the login carries it in
``arg``, which Alfred hands to the next object and never shows.
"""

import datetime as dt
import json
import os

from afwf.item import Icon, Item, Text
from afwf.script_filter import ScriptFilter

from . import timetext
from .errors import MfaError
from .profiles import BASE, ROLE, SESSION, AwsFiles, Profile, account_from_arn
from .query import Query, check_code
from .settings import Settings
from .store import Store

ICON_VALID = "icons/valid.png"
ICON_EXPIRING = "icons/expiring.png"
ICON_EXPIRED = "icons/expired.png"
ICON_NONE = "icons/none.png"
ICON_UNUSABLE = "icons/unusable.png"
ICON_ERROR = "icons/error.png"
ICON_CODE = "icons/code.png"

EXPIRING_SOON = 3600

# Alfred shows about nine rows at a time; past this many a list is typed
# down rather than scrolled, and every item costs time on each keystroke.
LIST_LIMIT = 40


def display_path(path) -> str:
    """A path as a Mac user reads it, with ``~`` for the home folder."""
    text = str(path)
    home = os.path.expanduser("~")
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home) :]
    return text


def _item(title: str, subtitle: str, icon: str, **fields) -> Item:
    fields.setdefault("valid", False)
    return Item(title=title, subtitle=subtitle, icon=Icon(path=icon), **fields)


def error_item(error: MfaError) -> Item:
    """An item that says what is wrong and how to fix it."""
    return _item(error.message, error.fix, ICON_ERROR)


def feedback(items: list[Item]) -> str:
    """The Script Filter JSON for ``items``, in the order given."""
    payload = ScriptFilter(items=items).to_script_filter()
    payload["skipknowledge"] = True
    return json.dumps(payload, ensure_ascii=False)


def session_state(files: AwsFiles, base: Profile, at: dt.datetime) -> tuple[str, str]:
    """A few words on ``base``'s MFA session, and the icon for it."""
    session = files.session_of(base.name)
    name = files.settings.session_name(base.name)
    if session is None:
        return "no MFA session yet", ICON_NONE
    if session.owner != base.name and session.kind != SESSION:
        return f"{name} exists and is not an MFA session", ICON_UNUSABLE
    if session.expiration is None:
        return f"{name} has no recorded expiry", ICON_NONE
    left = (session.expiration - at).total_seconds()
    if left <= 0:
        return f"{name} expired {timetext.span(-left)} ago", ICON_EXPIRED
    until = timetext.clock(session.expiration, at)
    icon = ICON_EXPIRING if left < EXPIRING_SOON else ICON_VALID
    return f"{name} valid {timetext.span(left)}, until {until}", icon


def _live(files: AwsFiles, base: Profile, at: dt.datetime) -> Profile | None:
    """``base``'s session, when it is one and has not expired."""
    session = files.session_of(base.name)
    if session is None or session.kind != SESSION:
        return None
    if session.expiration is not None and session.expiration <= at:
        return None
    return session


def account_text(store: Store, profile: Profile) -> str:
    """The profile's 12-digit account, best source first; a decoded key is a guess."""
    if profile.kind == ROLE:
        return account_from_arn(profile.role.get("role_arn")) or ""
    account = account_from_arn(profile.mfa_serial)
    if account:
        return account
    if profile.key_fingerprint:
        account = store.account(profile.name, profile.key_fingerprint)
        if account:
            return account
    if profile.key_account:
        return f"{profile.key_account} (guess)"
    return ""


def _action(action: str, profile: str) -> str:
    return json.dumps({"action": action, "profile": profile})


def _mod(valid: bool, subtitle: str, arg: str = "") -> dict:
    mod = {"valid": valid, "subtitle": subtitle}
    if valid:
        mod["arg"] = arg
    return mod


def _base_mods(files: AwsFiles, base: Profile, live: Profile | None) -> dict:
    name = files.settings.session_name(base.name)
    session = files.session_of(base.name)
    ours = session is not None and files.foreign_session(base) is None
    no_live = f"{base.name} has no live MFA session"
    return {
        "cmd": _mod(
            live is not None,
            f"Copy export AWS_PROFILE={name} for a terminal" if live else no_live,
            _action("export", base.name),
        ),
        "shift": _mod(
            live is not None,
            f"Make {name} the default profile" if live else no_live,
            _action("default", base.name),
        ),
        "ctrl": _mod(
            ours,
            f"Sign out: remove {name} and its role profiles" if ours else f"No {name} to remove",
            _action("signout", base.name),
        ),
    }


def _role_item(files: AwsFiles, store: Store, role: Profile, at: dt.datetime) -> Item:
    source = files.profiles.get(role.source_profile)
    arn = role.role.get("role_arn", "")
    words = [f"Role {arn.rsplit('/', 1)[-1]} in {account_text(store, role) or '?'}"]
    copy = files.session_of(role.name)
    live = _live(files, source, at) if source is not None else None
    if source is not None and source.is_base:
        source_session = files.settings.session_name(source.name)
        if live and copy is not None:
            words.append(f"use {copy.name}, no code needed")
        elif live:
            words.append(f"{source_session} is live; sign in again to add {role.name}")
        else:
            words.append(f"sign in to {source.name} first")
    elif source is None:
        words.append(f"its source profile {role.source_profile} does not exist")
    else:
        words.append(f"its source {role.source_profile} has no access keys")
    return _item(
        role.name,
        " · ".join(words),
        ICON_VALID if copy is not None and live else ICON_NONE,
        autocomplete=f"{role.source_profile} ",
        uid=f"profile:{role.name}",
        mods={
            "alt": _mod(True, "Open the AWS console as this role", _action("console", role.name))
        },
    )


def profile_item(files: AwsFiles, store: Store, profile: Profile, at: dt.datetime) -> Item:
    """One profile in the list: its region, account and session's state."""
    if profile.kind == ROLE:
        return _role_item(files, store, profile, at)
    if profile.kind == SESSION and profile.credentials_owner:
        owner = files.settings.session_name(profile.credentials_owner)
        state = "expired" if profile.expiration and profile.expiration <= at else "in use"
        return _item(
            profile.name,
            f"Holds {owner}'s session, made the default ({state})",
            ICON_VALID if state == "in use" else ICON_EXPIRED,
        )
    if not profile.is_base:
        return _item(
            profile.name,
            f"Can't sign in with MFA: {profile.reason}",
            ICON_UNUSABLE,
            autocomplete=f"{profile.name} ",
        )
    if profile.problem:
        return _item(
            profile.name,
            f"Fix first: {profile.problem}",
            ICON_UNUSABLE,
            autocomplete=f"{profile.name} ",
            uid=f"profile:{profile.name}",
        )

    state, icon = session_state(files, profile, at)
    default = files.profiles.get("default")
    if default is not None and profile.name != "default":
        if default.credentials_owner == profile.name:
            state += " · the default"
    words = [profile.region or "no region", account_text(store, profile), state]
    live = _live(files, profile, at)
    fields = {}
    if live is not None and live.expiration is not None:
        until = timetext.iso(live.expiration)
        fields["text"] = Text(
            copy=until, largetype=f"{live.name} valid until {timetext.clock(live.expiration, at)}"
        )
    return _item(
        profile.name,
        " · ".join(w for w in words if w),
        icon,
        autocomplete=f"{profile.name} ",
        uid=f"profile:{profile.name}",
        mods=_base_mods(files, profile, live),
        **fields,
    )


def _ranked(files: AwsFiles, profiles: list[Profile], text: str) -> list[Profile]:
    """The profiles whose name holds ``text``: the name itself, then the closest.

    Names that start with ``text`` come before names that only contain it;
    within each, shorter names first, as they are nearer to what was typed,
    and the files' order among names as long. A session profile's name
    (``dev_mfa``) finds its base, which shows the session.
    """
    needle = text.casefold()
    # A session's name holds the text where its base's name does not only
    # when the text ends inside the suffix; only then are sessions looked at.
    sessions_too = needle[-1:] in files.settings.suffix.casefold()
    ranked = []
    for profile in profiles:
        names = [profile.name]
        if sessions_too:
            session = files.session_of(profile.name)
            if session is not None and files.is_session_entry(session):
                names.append(session.name)
        fits = [
            (not n.casefold().startswith(needle), len(n)) for n in names if needle in n.casefold()
        ]
        if fits:
            inside, length = min(fits)
            ranked.append(((inside, text not in names, length), profile))
    ranked.sort(key=lambda entry: entry[0])
    return [profile for _, profile in ranked]


def _in_use_first(files: AwsFiles, store: Store, profiles: list, at: dt.datetime) -> list:
    """A list too long to show whole: the last profile used, then live sessions, then the rest.

    Each profile moves with the roles listed under it.
    """
    if len(profiles) <= LIST_LIMIT:
        return profiles
    groups: list[list[Profile]] = []
    in_group: set[str] = set()
    for profile in profiles:
        if groups and profile.kind == ROLE and profile.source_profile in in_group:
            groups[-1].append(profile)
        else:
            groups.append([profile])
            in_group = set()
        in_group.add(profile.name)
    last = store.last_profile()
    # The bases with a live session, found from the few sessions rather than
    # by asking each of the many profiles.
    live = {
        files.settings.base_name(p.name)
        for p in files.profiles.values()
        if p.kind == SESSION and (p.expiration is None or p.expiration > at)
    }

    def use(group: list[Profile]) -> int:
        name = group[0].name
        return 0 if name == last else 1 if name in live else 2

    return [profile for group in sorted(groups, key=use) for profile in group]


def list_items(files: AwsFiles, store: Store, text: str, at: dt.datetime) -> list[Item]:
    """The profiles that match ``text``, best first."""
    bases = files.bases()
    if not bases:
        return [
            _item(
                "No AWS profiles found",
                f"Add an access key with 'aws configure --profile NAME' "
                f"(looked in {display_path(files.settings.credentials_file)})",
                ICON_ERROR,
            )
        ]
    matches = _ranked(files, bases, text) if text else _in_use_first(files, store, bases, at)
    if not matches:
        return [
            _item(
                f"No profile matches {text!r}",
                f"Profiles come from {display_path(files.settings.config_file)} and "
                f"{display_path(files.settings.credentials_file)}",
                ICON_ERROR,
            )
        ]
    items = [profile_item(files, store, p, at) for p in matches[:LIST_LIMIT]]
    hidden = len(matches) - LIST_LIMIT
    if hidden > 0:
        noun = "profile matches" if hidden == 1 else "profiles match"
        items.append(
            _item(
                f"{hidden} more {noun}",
                "Type more of a name to narrow the list",
                ICON_NONE,
            )
        )
    return items


def duration_label(seconds: int) -> str:
    return timetext.span(seconds)


def _session_blocker(files: AwsFiles, base: Profile) -> Item | None:
    """An item explaining why ``base``'s session profile cannot be written, if so."""
    name = files.settings.session_name(base.name)
    where = files.foreign_session(base)
    if where is None:
        return None
    return _item(
        f"{name} was not written by this workflow, so it is left alone",
        f"Rename or remove its section in {display_path(where)}, "
        "or choose another session suffix in the workflow's configuration",
        ICON_UNUSABLE,
    )


def _device_for(settings: Settings, store: Store, base: Profile) -> tuple[str | None, list[str]]:
    """The device a login would use, or the choices the last login found."""
    if base.mfa_serial:
        return base.mfa_serial, []
    fingerprint = base.key_fingerprint or ""
    remembered = store.device(base.name, fingerprint)
    if remembered:
        return remembered, []
    return None, store.choices(base.name, fingerprint)


def login_arg(profile: str, code: str, serial: str | None) -> str:
    """What Enter hands to the login script."""
    return json.dumps({"action": "login", "profile": profile, "code": code, "serial": serial})


def _yubikey_items(
    settings: Settings, base: Profile, serial: str | None, choices: list[str]
) -> list[Item]:
    """Items that get the code from a YubiKey, one per device an OATH account fits."""
    from . import yubikey

    key = yubikey.find(settings)
    if key is None:
        return []
    items = []
    devices = choices if serial is None and choices else [serial]
    for device in devices:
        account = key.offer(base.name, device)
        if account is None:
            continue
        words = [
            account,
            f"device {device}" if len(devices) > 1 else "",
            "touch the key if it blinks",
        ]
        arg = {"action": "yubikey", "profile": base.name, "serial": device}
        items.append(
            _item(
                "Get a session with your YubiKey",
                " · ".join(w for w in words if w),
                ICON_VALID,
                valid=True,
                arg=json.dumps(arg),
            )
        )
    return items


def profile_items(files: AwsFiles, store: Store, query: Query, at: dt.datetime) -> list[Item]:
    """The items for ``mfa <profile> <code so far>``."""
    settings = files.settings
    base = files.get(query.profile)
    if base.kind != BASE:
        return [
            _item(
                f"{base.name} can't sign in with MFA",
                f"It {base.reason}",
                ICON_UNUSABLE,
            )
        ]
    if base.problem:
        return [_item(f"Fix {base.name} first", f"Its {base.problem}", ICON_UNUSABLE)]
    blocker = _session_blocker(files, base)
    if blocker:
        return [blocker]

    serial, choices = _device_for(settings, store, base)
    if serial:
        device = f"device {serial}"
    elif choices:
        device = f"one of {len(choices)} devices"
    else:
        device = f"the MFA device will be looked up with {base.name}'s keys"
    code = check_code(query.code_text or "")
    state, _ = session_state(files, base, at)

    if not query.code_text:
        prompt = _item(
            f"Type the 6-digit MFA code for {base.name}",
            f"{device[0].upper()}{device[1:]} · {state}",
            ICON_CODE,
        )
        return [prompt, *_yubikey_items(settings, base, serial, choices)]
    if code.digits is None:
        return [_item(code.problem, f"MFA code for {base.name} · {device}", ICON_CODE)]

    if store.code_used(serial, code.digits):
        return [
            _item(
                "That code was just used",
                "AWS takes each code only once: wait for the next one (every 30 seconds)",
                ICON_CODE,
            )
        ]

    title = f"Get a {duration_label(settings.duration)} session for {base.name}"
    target = settings.session_name(base.name)
    # One item, or one for each device the last login found to choose from.
    options = (
        [(serial, device)] if serial or not choices else [(c, f"device {c}") for c in choices]
    )
    return [
        _item(
            title,
            f"Writes {target} · {words}",
            ICON_VALID,
            valid=True,
            arg=login_arg(base.name, code.digits, option),
            # Cmd-C and Large Type would show the argument, code and all.
            text=Text(copy=target, largetype=title),
        )
        for option, words in options
    ]


def render(files: AwsFiles, store: Store, query: Query, at: dt.datetime) -> list[Item]:
    """The items Alfred shows for ``query``."""
    if query.profile is not None:
        return profile_items(files, store, query, at)
    # Digits alone are a code typed first, unless a profile's name starts so.
    typed = query.text
    if typed.replace(" ", "").isdigit() and not any(n.startswith(typed) for n in files.profiles):
        return [
            _item(
                "Type the profile before the code",
                f"For example: {files.settings.keyword} dev 123456",
                ICON_CODE,
            )
        ]
    if query.unknown is not None:
        return [
            _item(
                f"There is no profile named {query.unknown!r}",
                f"Profiles come from {display_path(files.settings.config_file)} and "
                f"{display_path(files.settings.credentials_file)}",
                ICON_ERROR,
            )
        ]
    return list_items(files, store, query.text, at)
