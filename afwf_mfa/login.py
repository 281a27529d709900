"""One login: from a profile and a code to a written ``<profile>_mfa``.

The order matters for the user's files and the user's code: everything that
can be checked locally is checked before STS sees the code, and nothing is
written unless STS gave a session.
"""

import dataclasses
import datetime as dt
import logging
import os
import threading

from . import inifile, profiles, timetext
from .errors import (
    ChooseDevice,
    CodeError,
    NotOursError,
    ProfileError,
    StsError,
    WrongDeviceError,
)
from .profiles import OWNER_KEY, Profile, account_from_arn
from .query import check_code
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)

# The whole network part of a login ends by then, even if a name lookup
# hangs where botocore's own timeouts cannot reach; with starting Python and
# writing the files, the user hears back within 10 seconds.
DEADLINE = 8.0

REUSED = "That code was just used, and AWS takes each code only once."


@dataclasses.dataclass(frozen=True)
class Result:
    """What a login or a modifier key did, for the Run Script's output.

    ``outcome`` is ``ok`` (``arg`` goes to the clipboard), ``open`` (``arg``
    is a URL to open) or ``done`` (a notification only).
    """

    outcome: str
    title: str
    text: str
    arg: str = ""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a successful login did, in the terms the user is told."""

    base: str
    session_name: str
    expiration: dt.datetime
    granted: int
    roles: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    default: bool = False


def _base_profile(files: profiles.AwsFiles, name: str) -> Profile:
    profile = files.require(name)
    if not profile.is_base:
        raise ProfileError(f"{profile.name} can't sign in with MFA.", f"It {profile.reason}.")
    if profile.problem:
        raise ProfileError(f"Fix {profile.name} first.", f"Its {profile.problem}.")
    return profile


def _with_deadline(work, seconds: float, progress: dict):
    """Run ``work`` in a thread and give up waiting after ``seconds``.

    ``work`` sets ``progress["code_sent"]`` once the code is on its way, so
    the message can say whether the code is spent. Nothing is imported here
    while the thread runs: two threads importing at once can meet a module
    the other has only half loaded.
    """
    result = {}

    def run():
        try:
            result["value"] = work()
        except BaseException as exc:  # handed to the caller below
            result["error"] = exc

    thread = threading.Thread(target=run, name="sts", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        log.warning("no answer from AWS within %.0f s", seconds)
        then = "then use the next code" if progress.get("code_sent") else "then try again"
        raise StsError(
            f"AWS did not answer within {seconds:.0f} seconds.",
            f"Check your network, proxy or VPN, {then}.",
        )
    if "error" in result:
        raise result["error"]
    return result["value"]


def _config_values(base: Profile) -> dict[str, str]:
    values = {}
    if base.region:
        values["region"] = base.region
    if base.output:
        values["output"] = base.output
    return values


def check_writable(files: profiles.AwsFiles, base: Profile) -> None:
    """Refuse early, before the code is spent, when a session section is not ours.

    The writes check again on the text they edit; this check only spares the
    code, from the parse the login made anyway.
    """
    where = files.foreign_session(base)
    if where is not None:
        raise NotOursError.about(files.settings.session_name(base.name), where)


SESSION_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "expiration")
# Keys that would shadow or outrank a session's keys in [default].
DEFAULT_DROPS = ("aws_security_token", OWNER_KEY)


def session_values(session) -> dict[str, str]:
    """The credentials-file keys of a session, in the order they are written."""
    return dict(
        zip(
            SESSION_KEYS,
            (
                session.access_key_id,
                session.secret_access_key,
                session.session_token,
                timetext.iso(session.expiration),
            ),
            strict=True,
        )
    )


def role_values(settings: Settings, role: Profile, base: Profile) -> dict[str, str]:
    """The config keys of a role profile's copy that signs in through ``base``'s session."""
    values = {"role_arn": role.role["role_arn"]}
    values["source_profile"] = settings.session_name(base.name)
    values.update({k: v for k, v in role.role.items() if k != "role_arn"})
    return values


def _edit_config(settings: Settings, base: Profile, roles: list[Profile], skipped: list[str]):
    """The config file's edit: the session profile, then each role's copy."""
    path = settings.config_file
    name = settings.session_name(base.name)

    def edit(text: str) -> str:
        text = inifile.set_section(text, f"profile {name}", _config_values(base), base.name, path)
        skipped.clear()
        for role in roles:
            section = f"profile {settings.session_name(role.name)}"
            values = role_values(settings, role, base)
            try:
                text = inifile.set_section(text, section, values, role.name, path)
            except NotOursError:
                skipped.append(settings.session_name(role.name))
        return text

    return edit


def write_session(settings: Settings, base: Profile, session, roles=(), default=False) -> list:
    """Write the session into both files, or into neither.

    With ``roles``, each role profile also gets a copy that assumes it through
    the session; with ``default``, ``[default]`` (already holding this
    profile's earlier session) gets the new one. Returns the role copies that
    were left alone because this workflow did not write them.
    """
    name = settings.session_name(base.name)
    credentials = session_values(session)
    creds_path = settings.credentials_file
    skipped: list[str] = []

    def edit_credentials(text: str) -> str:
        text = inifile.set_section(text, name, credentials, base.name, creds_path)
        if default:
            values = {**credentials, OWNER_KEY: base.name}
            text = inifile.set_keys(text, "default", values, DEFAULT_DROPS, creds_path)
        return text

    with inifile.files_lock(settings.cache_dir):
        old_creds, new_creds = inifile.edit_file(creds_path, edit_credentials, private=True)
        try:
            inifile.edit_file(
                settings.config_file,
                _edit_config(settings, base, list(roles), skipped),
                private=False,
            )
        except Exception:
            log.warning("config write failed; putting the credentials file back")
            inifile.edit_file(
                creds_path,
                lambda text: old_creds if text == new_creds else text,
                private=True,
            )
            raise
    log.info("wrote %s to both files (%d role profiles)", name, len(roles) - len(skipped))
    for role_copy in skipped:
        log.warning("left %s alone: this workflow did not write it", role_copy)
    return skipped


def login(settings: Settings, store: Store, name: str, code_text: str, serial=None) -> Outcome:
    """Get an MFA session for profile ``name`` and write it as its session profile."""
    code = check_code(code_text)
    if code.digits is None:
        raise CodeError(f"{code.problem}.", "Type the 6 digits your authenticator shows.")

    # Writing a profile for the AWS CLI means writing the files it reads;
    # Alfred does not pass on the shell's proxy and CA settings, the
    # workflow's configuration does. A profile's own ca_bundle still wins.
    os.environ["AWS_CONFIG_FILE"] = str(settings.config_file)
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(settings.credentials_file)
    if settings.https_proxy:
        os.environ["HTTPS_PROXY"] = settings.https_proxy
    if settings.ca_bundle:
        os.environ["AWS_CA_BUNDLE"] = str(settings.ca_bundle)

    files, _ = profiles.load_for_login(settings, name)
    base = _base_profile(files, name)
    check_writable(files, base)

    fingerprint = base.key_fingerprint or ""
    if serial is None:
        serial = base.mfa_serial or store.device(base.name, fingerprint)
    found = serial is None
    log.info("login for %s (device %s)", base.name, "to look up" if found else serial)

    if store.code_used(serial, code.digits):
        raise CodeError(REUSED, "Wait for the next code; it changes every 30 seconds.")

    progress = {}

    def talk_to_sts():
        from .sts import Sts  # botocore's client machinery: only a login pays for it

        sts = Sts(base)
        device = serial
        if device is None:
            devices = sts.find_devices()
            progress["account"] = sts.account
            if len(devices) > 1:
                store.offer_devices(base.name, fingerprint, devices)
                raise ChooseDevice(base.name, devices)
            device = devices[0]
        if store.code_used(device, code.digits):
            raise CodeError(REUSED, "Wait for the next code; it changes every 30 seconds.")
        progress["code_sent"] = True
        try:
            return device, sts.get_session_token(device, code.digits, settings.duration)
        except StsError as exc:
            if exc.spent:
                store.record_code(device, code.digits)
                if serial is None and not isinstance(exc, WrongDeviceError):
                    # The device found is right even when the code was not;
                    # remembered, it lets the next keystroke see the spent code.
                    store.remember_device(base.name, fingerprint, device)
            raise

    try:
        device, session = _with_deadline(talk_to_sts, DEADLINE, progress)
    except WrongDeviceError:
        if serial != base.mfa_serial:
            store.forget_device(base.name)
        raise
    store.record_code(device, code.digits)

    roles = files.roles_of(base.name) if settings.role_profiles else []
    roles = [r for r in roles if not r.problem]
    default = files.profiles.get("default")
    refresh_default = default is not None and default.credentials_owner == base.name
    skipped = write_session(settings, base, session, roles, refresh_default)

    if device != base.mfa_serial:
        store.remember_device(base.name, fingerprint, device)
    account = account_from_arn(device) or progress.get("account")
    if account:
        store.remember_account(base.name, fingerprint, account)
    store.set_last_profile(base.name)

    granted = int((session.expiration - timetext.now()).total_seconds())
    return Outcome(
        base.name,
        settings.session_name(base.name),
        session.expiration,
        granted,
        roles=[n for n in (settings.session_name(r.name) for r in roles) if n not in skipped],
        skipped=skipped,
        default=refresh_default,
    )
