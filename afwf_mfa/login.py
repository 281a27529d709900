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
from .errors import ChooseDevice, CodeError, ProfileError, StsError, WrongDeviceError
from .profiles import Profile
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
class Outcome:
    """What a successful login did, in the terms the user is told."""

    base: str
    session_name: str
    expiration: dt.datetime
    granted: int


def _base_profile(files: profiles.AwsFiles, name: str) -> Profile:
    profile = files.get(name)
    if profile is None:
        raise ProfileError(
            f"There is no profile named {name!r}.",
            f"Profiles come from {files.settings.config_file} and "
            f"{files.settings.credentials_file}.",
        )
    if not profile.is_base:
        raise ProfileError(f"{profile.name} can't sign in with MFA.", f"It {profile.reason}.")
    if profile.problem:
        raise ProfileError(f"Fix {profile.name} first.", f"Its {profile.problem}.")
    return profile


def _with_deadline(work, seconds: float, progress: dict):
    """Run ``work`` in a thread and give up waiting after ``seconds``.

    ``work`` sets ``progress["code_sent"]`` once the code is on its way, so
    the message can say whether the code is spent.
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


def check_writable(settings: Settings, base: Profile) -> None:
    """Refuse early, before the code is spent, when a session section is not ours."""
    name = settings.session_name(base.name)
    for path, section in (
        (settings.credentials_file, name),
        (settings.config_file, f"profile {name}"),
    ):
        text = inifile.read_text(path)
        inifile.set_section(text, section, {}, base.name, path)


def write_session(settings: Settings, base: Profile, session) -> None:
    """Write the session into both files, or into neither."""
    name = settings.session_name(base.name)
    credentials = {
        "aws_access_key_id": session.access_key_id,
        "aws_secret_access_key": session.secret_access_key,
        "aws_session_token": session.session_token,
        "expiration": timetext.iso(session.expiration),
    }
    creds_path, config_path = settings.credentials_file, settings.config_file

    with inifile.files_lock(settings.cache_dir):
        old_creds, new_creds = inifile.edit_file(
            creds_path,
            lambda text: inifile.set_section(text, name, credentials, base.name, creds_path),
            private=True,
        )
        try:
            inifile.edit_file(
                config_path,
                lambda text: inifile.set_section(
                    text, f"profile {name}", _config_values(base), base.name, config_path
                ),
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
    log.info("wrote %s to both files", name)


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

    files = profiles.load(settings)
    base = _base_profile(files, name)
    check_writable(settings, base)

    fingerprint = base.key_fingerprint or ""
    if serial is None:
        serial = base.mfa_serial or store.device(base.name, fingerprint)
    found = serial is None
    log.info("login for %s (device %s)", base.name, "to look up" if found else serial)

    if store.code_used(base.name, serial, code.digits):
        raise CodeError(REUSED, "Wait for the next code; it changes every 30 seconds.")

    progress = {}

    def talk_to_sts():
        from .sts import Sts  # botocore's client machinery: only a login pays for it

        sts = Sts(base)
        device = serial
        if device is None:
            devices = sts.find_devices()
            if len(devices) > 1:
                store.offer_devices(base.name, fingerprint, devices)
                raise ChooseDevice(base.name, devices)
            device = devices[0]
        if store.code_used(base.name, device, code.digits):
            raise CodeError(REUSED, "Wait for the next code; it changes every 30 seconds.")
        progress["code_sent"] = True
        try:
            return device, sts.get_session_token(device, code.digits, settings.duration)
        except StsError as exc:
            if exc.spent:
                store.record_code(base.name, device, code.digits)
            raise

    try:
        device, session = _with_deadline(talk_to_sts, DEADLINE, progress)
    except WrongDeviceError:
        if serial != base.mfa_serial:
            store.forget_device(base.name)
        raise
    store.record_code(base.name, device, code.digits)

    write_session(settings, base, session)
    if device != base.mfa_serial:
        store.remember_device(base.name, fingerprint, device)
    store.set_last_profile(base.name)

    granted = int((session.expiration - timetext.now()).total_seconds())
    return Outcome(base.name, settings.session_name(base.name), session.expiration, granted)
