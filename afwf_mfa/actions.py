"""What the modifier keys do on a profile: export, make default, sign out, open the console.

Each action returns a :class:`Result` that the command line turns into the
Run Script's output: text for the clipboard, a URL to open, or only a
notification. Like a login, every change to the files is checked first and
made under the lock, and nothing is changed when a check fails.
"""

import logging
import urllib.parse

from . import inifile, profiles, timetext
from .errors import ProfileError
from .login import DEFAULT_DROPS, SESSION_KEYS, Result
from .profiles import OWNER_KEY, ROLE, AwsFiles, Profile, account_from_arn
from .settings import Settings

log = logging.getLogger(__name__)

CONSOLE_SWITCH_ROLE = "https://signin.aws.amazon.com/switchrole"

# In config, these in [default] make the AWS CLI ignore keys in credentials.
OUTRANKING = {
    "role_arn": "assumes a role",
    "web_identity_token_file": "uses web identity",
    "sso_session": "signs in with SSO",
    "sso_start_url": "signs in with SSO",
}


def _live_session(files: AwsFiles, base: Profile) -> Profile:
    session = files.session_of(base.name)
    name = files.settings.session_name(base.name)
    if session is None or session.kind != profiles.SESSION:
        raise ProfileError(f"{base.name} has no MFA session.", f"Sign in first: mfa {base.name} ")
    if session.expiration is not None and session.expiration <= timetext.now():
        raise ProfileError(f"{name} has expired.", f"Sign in again: mfa {base.name} ")
    return session


def export(settings: Settings, name: str) -> Result:
    """The shell line that makes a terminal use the profile's session."""
    files = profiles.load(settings)
    base = files.require(name)
    _live_session(files, base)
    session_name = settings.session_name(base.name)
    line = f"export AWS_PROFILE={session_name}"
    return Result("ok", f"Copied: {line}", "Paste it into a terminal.", line)


def make_default(settings: Settings, name: str) -> Result:
    """Copy the profile's live session into ``[default]``, if that is safe."""
    files = profiles.load(settings)
    base = files.require(name)
    session_name = settings.session_name(base.name)
    _live_session(files, base)
    instead = f"Use export AWS_PROFILE={session_name} instead (Cmd-Enter copies it)."

    config_default = profiles.config_profiles(profiles.read_sections(settings.config_file)).get(
        "default", {}
    )
    for key, what in OUTRANKING.items():
        if key in config_default:
            raise ProfileError(
                f"[default] in {settings.config_file} {what}, which the AWS CLI prefers "
                "over any keys in the credentials file.",
                instead,
            )
    default = files.profiles.get("default")
    if default is not None and default.credentials_owner is None and default.access_key_id:
        raise ProfileError("[default] holds keys of your own, so it is left alone.", instead)

    creds_path = settings.credentials_file
    with inifile.files_lock(settings.cache_dir):
        fresh = profiles.read_sections(creds_path).get(session_name, {})
        values = {key: fresh[key] for key in SESSION_KEYS if key in fresh}
        values[OWNER_KEY] = base.name

        def edit(text: str) -> str:
            return inifile.set_keys(text, "default", values, DEFAULT_DROPS, creds_path)

        inifile.edit_file(creds_path, edit, private=True)
    log.info("made %s the default", session_name)
    return Result(
        "done",
        f"{session_name} is now the default",
        "Tools that read only the default profile use the MFA session.",
    )


def sign_out(settings: Settings, name: str) -> Result:
    """Remove the sections this workflow wrote for ``name``'s session."""
    files = profiles.load(settings)
    base = files.require(name)
    session_name = settings.session_name(base.name)
    roles = [
        p
        for p in files.profiles.values()
        if p.kind == ROLE and p.config_owner and p.source_profile == session_name
    ]
    creds_path, config_path = settings.credentials_file, settings.config_file

    def edit_credentials(text: str) -> str:
        text = inifile.remove_section(text, session_name, base.name, creds_path)
        default = files.profiles.get("default")
        if default is not None and default.credentials_owner == base.name:
            drops = (*SESSION_KEYS, *DEFAULT_DROPS)
            if inifile.holds_only(text, "default", drops, creds_path):
                # Shift-Enter made the section: take it away whole.
                return inifile.remove_section(text, "default", base.name, creds_path)
            text = inifile.set_keys(text, "default", {}, drops, creds_path)
        return text

    def edit_config(text: str) -> str:
        text = inifile.remove_section(text, f"profile {session_name}", base.name, config_path)
        for role in roles:
            text = inifile.remove_section(
                text, f"profile {role.name}", role.config_owner, config_path
            )
        return text

    with inifile.files_lock(settings.cache_dir):
        # Both edits are tried on the current text first, so a section this
        # workflow did not write stops the sign-out before anything changes.
        edit_credentials(inifile.read_text(creds_path))
        edit_config(inifile.read_text(config_path))
        inifile.edit_file(creds_path, edit_credentials, private=True)
        inifile.edit_file(config_path, edit_config, private=False)
    log.info("signed %s out", session_name)
    extra = f" and {len(roles)} role profile{'s' if len(roles) != 1 else ''}" if roles else ""
    return Result("done", f"Signed out of {session_name}", f"Removed {session_name}{extra}.")


def console_url(settings: Settings, name: str) -> Result:
    """The AWS console's switch-role page for a role profile."""
    files = profiles.load(settings)
    role = files.require(name)
    if role.kind != ROLE:
        raise ProfileError(f"{role.name} is not a role profile.", "")
    arn = role.role["role_arn"]
    account = account_from_arn(arn)
    role_name = arn.rsplit("/", 1)[-1]
    query = urllib.parse.urlencode(
        {"account": account or "", "roleName": role_name, "displayName": role.name}
    )
    return Result(
        "open", f"Opening the console as {role_name}", arn, f"{CONSOLE_SWITCH_ROLE}?{query}"
    )
