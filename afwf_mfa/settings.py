"""The workflow's configuration, read once from the environment Alfred gives.

Alfred hands every Workflow Configuration value to the scripts as an
environment variable; this module is the only place that reads them.
"""

import dataclasses
import os
import re
from pathlib import Path

from .errors import SettingsError

BUNDLE_ID = "io.github.afwf-mfa"

DEFAULT_DURATION = 12 * 3600
MIN_DURATION = 15 * 60
MAX_DURATION = 36 * 3600

_SUFFIX = re.compile(r"[A-Za-z0-9_.-]{1,32}")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about where things are."""

    config_file: Path
    credentials_file: Path
    data_dir: Path
    cache_dir: Path
    duration: int = DEFAULT_DURATION
    suffix: str = "_mfa"
    debug: bool = False
    keyword: str = "mfa"
    https_proxy: str = ""
    ca_bundle: Path | None = None
    role_profiles: bool = True
    ykman_path: Path | None = None
    yubikey_accounts: tuple[tuple[str, str], ...] = ()

    def session_name(self, base: str) -> str:
        """The name of the profile that holds ``base``'s MFA session."""
        return base + self.suffix

    def base_name(self, name: str) -> str | None:
        """The base profile a session profile name belongs to, if it has the suffix."""
        if name.endswith(self.suffix) and len(name) > len(self.suffix):
            return name[: -len(self.suffix)]
        return None

    def yubikey_account(self, profile: str) -> str | None:
        """The YubiKey account the configuration names for ``profile``, if any."""
        return dict(self.yubikey_accounts).get(profile)


def _path(value: str) -> Path:
    return Path(os.path.expanduser(os.path.expandvars(value)))


def _duration(raw: str) -> int:
    text = raw.strip().lower()
    scale = 1
    if text.endswith("h"):
        text, scale = text[:-1], 3600
    elif text.endswith("m"):
        text, scale = text[:-1], 60
    try:
        seconds = int(float(text) * scale)
    except ValueError:
        seconds = -1
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise SettingsError(
            f"The session length setting {raw!r} is not between 15 minutes and 36 hours.",
            "Pick a session length in the workflow's configuration.",
        )
    return seconds


def _yubikey_accounts(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for number, line in enumerate(raw.splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        profile, equals, account = (part.strip() for part in text.partition("="))
        if not (equals and profile and account):
            raise SettingsError(
                f"Line {number} of the YubiKey accounts setting is not 'profile = account'.",
                "Write one profile per line, then '=', then the account's name as "
                "'ykman oath accounts list' shows it.",
            )
        pairs.append((profile, account))
    return tuple(pairs)


def load(env: dict[str, str] | None = None) -> Settings:
    """Read and check the settings; a bad value raises :class:`SettingsError`."""
    env = os.environ if env is None else env
    home = Path.home()

    config = env.get("aws_config_file") or env.get("AWS_CONFIG_FILE") or "~/.aws/config"
    credentials = (
        env.get("aws_credentials_file")
        or env.get("AWS_SHARED_CREDENTIALS_FILE")
        or "~/.aws/credentials"
    )

    bundle = env.get("alfred_workflow_bundleid") or BUNDLE_ID
    data = env.get("alfred_workflow_data") or str(
        home / "Library/Application Support/Alfred/Workflow Data" / bundle
    )
    cache = env.get("alfred_workflow_cache") or str(
        home / "Library/Caches/com.runningwithcrayons.Alfred/Workflow Data" / bundle
    )

    suffix = env.get("profile_suffix", "").strip() or "_mfa"
    if not _SUFFIX.fullmatch(suffix):
        raise SettingsError(
            f"The session profile suffix {suffix[:40]!r} is not usable.",
            "Use up to 32 letters, digits, '_', '-' or '.' in the workflow's configuration.",
        )

    duration_raw = env.get("session_duration", "").strip()
    duration = _duration(duration_raw) if duration_raw else DEFAULT_DURATION

    keyword = env.get("keyword", "").strip() or "mfa"
    if len(keyword) < 3 or any(ch.isspace() for ch in keyword):
        raise SettingsError(
            f"The keyword {keyword!r} is too short or has spaces.",
            "Use at least 3 characters without spaces in the workflow's configuration.",
        )

    https_proxy = env.get("https_proxy", "").strip()
    if https_proxy and "://" not in https_proxy:
        raise SettingsError(
            f"The HTTPS proxy setting {https_proxy!r} is not a URL.",
            "Write it as http://host:port in the workflow's configuration.",
        )
    ca_bundle = env.get("ca_bundle", "").strip()
    if ca_bundle and not _path(ca_bundle).is_file():
        raise SettingsError(
            f"The CA bundle setting names {ca_bundle}, which is not a file.",
            "Pick the PEM file of your organisation's certificates in the configuration.",
        )

    ykman_raw = env.get("ykman_path", "").strip()
    ykman_path = _path(ykman_raw) if ykman_raw else None
    if ykman_path and not (ykman_path.is_file() and os.access(ykman_path, os.X_OK)):
        raise SettingsError(
            f"The YubiKey Manager setting names {ykman_raw}, which is not an executable file.",
            "Set it to the ykman program ('which ykman' in Terminal shows where it is), "
            "or leave it empty.",
        )
    yubikey_accounts = _yubikey_accounts(env.get("yubikey_accounts", ""))

    return Settings(
        config_file=_path(config),
        credentials_file=_path(credentials),
        data_dir=_path(data),
        cache_dir=_path(cache),
        duration=duration,
        suffix=suffix,
        debug=env.get("alfred_debug") == "1",
        keyword=keyword,
        https_proxy=https_proxy,
        ca_bundle=_path(ca_bundle) if ca_bundle else None,
        role_profiles=env.get("role_profiles", "1").strip() != "0",
        ykman_path=ykman_path,
        yubikey_accounts=yubikey_accounts,
    )
