"""Codes from a YubiKey, through YubiKey Manager's command line, ``ykman``.

A YubiKey's OATH application can hold the secret of an AWS virtual MFA
device; ``ykman`` lists its accounts and computes an account's current code.
This module finds ``ykman``, picks the account that belongs to a profile and
asks the key for its code. A keystroke only ever lists the accounts, and
that from a cache in the workflow's cache folder for a minute, because
``ykman`` needs about a second to start.
"""

import json
import logging
import os
import re
import time
from pathlib import Path

from .errors import (
    MfaError,
    NoOathAccount,
    NoYubiKey,
    TouchTimeout,
    YkmanFailed,
    YkmanMissing,
)
from .settings import Settings

log = logging.getLogger(__name__)

# Homebrew's places on Apple silicon and on Intel Macs; Alfred's PATH has neither.
KNOWN_PLACES = ("/opt/homebrew/bin/ykman", "/usr/local/bin/ykman")

LIST_TIMEOUT = 3.0
# A YubiKey waits about 15 seconds for a touch before it gives up by itself.
CODE_TIMEOUT = 20.0

CACHE_NAME = "yubikey.json"
CACHE_SECONDS = 60
# With no key plugged in, ykman looks for one for seconds before it says so;
# the next keystrokes skip it for a while, but not so long that a key
# plugged in meanwhile goes unnoticed.
FAILURE_SECONDS = 10

# How AWS names a virtual MFA device's account for authenticator apps.
AWS_ISSUER = "Amazon Web Services"
_DEVICE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>\d{12}):mfa/(?:.*/)?(?P<name>[^/]+)")

_LEVEL = re.compile(r"^(error|critical)\s*:\s*", re.IGNORECASE)
# ykman prints no code on stderr, but its messages reach notifications:
# any run of digits as long as a code is hidden all the same.
_CODE_LIKE = re.compile(r"(?<!\d)\d{6,8}(?!\d)")

SEE_FOR_YOURSELF = "Run 'ykman oath accounts list' in Terminal to see what it says."


def find_ykman(settings: Settings) -> Path | None:
    """Where ``ykman`` is: the configured path, else Homebrew's places, else the PATH."""
    if settings.ykman_path is not None:
        return settings.ykman_path
    folders = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for candidate in (*KNOWN_PLACES, *(os.path.join(d, "ykman") for d in folders)):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def find(settings: Settings) -> "YubiKey | None":
    """The YubiKey behind ``ykman``, or None when ``ykman`` is not installed."""
    ykman = find_ykman(settings)
    return YubiKey(settings, ykman) if ykman else None


def _said(stderr: str) -> str:
    """ykman's own message, without its level, code-like digits hidden."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    # ykman's message starts "ERROR: " (older ones: "Error: "), after any prompts.
    errors = [line for line in lines if _LEVEL.match(line)]
    text = errors[0] if errors else lines[-1] if lines else "no message"
    text = _LEVEL.sub("", text)
    text = _CODE_LIKE.sub("******", text)
    return text if len(text) <= 160 else text[:157] + "..."


def _failure(stderr: str) -> MfaError:
    """The error a user can act on, from what a failed ykman printed."""
    lowered = stderr.lower()
    if "no yubikey detected" in lowered:
        return NoYubiKey("No YubiKey is plugged in.", "Insert your YubiKey and try again.")
    if "touch account timed out" in lowered:
        return TouchTimeout(
            "The YubiKey was not touched in time.",
            "Try again and touch the key when it blinks.",
        )
    if "no matching account" in lowered:
        return NoOathAccount("The YubiKey has no such OATH account.", SEE_FOR_YOURSELF)
    if "password" in lowered:
        return YkmanFailed(
            "The YubiKey's OATH accounts are protected by a password.",
            "Run 'ykman oath access remember' once in Terminal, so ykman can open them.",
        )
    return YkmanFailed(f"YubiKey Manager failed: {_said(stderr)}", SEE_FOR_YOURSELF)


class YubiKey:
    """The YubiKey that one ``ykman`` program talks to, with the workflow's settings."""

    def __init__(self, settings: Settings, ykman: Path):
        self.settings = settings
        self.ykman = ykman
        self.cache = settings.cache_dir / CACHE_NAME

    # -- running ykman ----------------------------------------------------

    def _run(self, args: list[str], timeout: float, late: MfaError) -> str:
        """ykman's output for ``args``, or ``late`` raised after ``timeout`` seconds.

        The output may be a code: it is never logged.
        """
        import subprocess  # a keystroke without ykman does not pay for it

        try:
            done = subprocess.run(
                [str(self.ykman), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            log.info("ykman %s gave no answer within %.0f s", args[2], timeout)
            raise late from None
        except OSError as exc:
            raise YkmanFailed(
                f"YubiKey Manager ({self.ykman}) could not be started: {exc.strerror}.",
                "Reinstall it (brew install ykman) or set its path in the configuration.",
            ) from None
        if done.returncode != 0:
            error = _failure(done.stderr)
            log.info("ykman %s failed (%d): %s", args[2], done.returncode, error.message)
            raise error
        return done.stdout

    # -- the account list, cached ------------------------------------------

    def _cached(self) -> dict | None:
        """The last listing or failure, while it is fresh enough to trust."""
        try:
            data = json.loads(self.cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("ykman") != str(self.ykman):
            return None
        at = data.get("at")
        if not isinstance(at, (int, float)):
            return None
        limit = FAILURE_SECONDS if data.get("failed") else CACHE_SECONDS
        if not 0 <= time.time() - at < limit:
            return None
        accounts = data.get("accounts")
        if not data.get("failed") and not (
            isinstance(accounts, list) and all(isinstance(a, str) for a in accounts)
        ):
            return None
        return data

    def _save(self, **fields) -> None:
        import tempfile

        from .store import private_dir

        data = {"ykman": str(self.ykman), "at": time.time(), **fields}
        tmp = None
        try:
            private_dir(self.cache.parent)
            # mkstemp makes the file 0600: account names say whose keys these are.
            fd, tmp = tempfile.mkstemp(prefix=f".{CACHE_NAME}.", dir=self.cache.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, self.cache)
        except OSError as exc:
            log.warning("could not cache the YubiKey's accounts: %s", exc)
            if tmp:
                Path(tmp).unlink(missing_ok=True)

    def forget(self) -> None:
        """Drop the cached account list, so the next look reads the key again."""
        self.cache.unlink(missing_ok=True)

    def accounts(self) -> list[str]:
        """The names of the OATH accounts on the YubiKey, as ``ykman`` lists them."""
        cached = self._cached()
        if cached is not None and not cached.get("failed"):
            return list(cached["accounts"])

        late = YkmanFailed(
            f"YubiKey Manager did not list the accounts within {LIST_TIMEOUT:.0f} seconds.",
            "Unplug the YubiKey, plug it in again and try again.",
        )
        try:
            output = self._run(["oath", "accounts", "list"], LIST_TIMEOUT, late)
        except MfaError:
            self._save(failed=True)
            raise

        names = [line.strip() for line in output.splitlines() if line.strip()]
        self._save(accounts=names)
        log.debug("the YubiKey has %d OATH accounts", len(names))
        return names

    # -- picking the account -----------------------------------------------

    def account_for(
        self, profile: str, device_serial: str | None, user_hint: str | None = None
    ) -> str | None:
        """The OATH account that gives ``profile``'s codes, or None when none fits.

        An account the configuration names for the profile wins. Otherwise it
        is the account AWS named ``Amazon Web Services:USER@ACCOUNT`` for the
        device's account: the only one, or the one whose user is ``user_hint``
        (by default the device's name).
        """
        names = self.accounts()

        configured = self.settings.yubikey_account(profile)
        if configured is not None:
            if configured in names:
                return configured
            folded = [n for n in names if n.casefold() == configured.casefold()]
            return folded[0] if len(folded) == 1 else None

        match = _DEVICE_ARN.fullmatch(device_serial or "")
        if match is None:
            return None
        head, tail = f"{AWS_ISSUER}:", f"@{match['account']}"
        users = {
            name: name[len(head) : -len(tail)]
            for name in names
            if name.startswith(head) and name.endswith(tail) and len(name) > len(head + tail)
        }
        for hint in (user_hint, match["name"]):
            if hint:
                same = [n for n, user in users.items() if user.casefold() == hint.casefold()]
                if len(same) == 1:
                    return same[0]
        return next(iter(users)) if len(users) == 1 else None

    def offer(self, profile: str, device_serial: str | None) -> str | None:
        """The account a keystroke may offer for ``profile``; never raises.

        A listing that failed moments ago is not tried again, so typing stays fast.
        """
        cached = self._cached()
        if cached is not None and cached.get("failed"):
            return None
        try:
            return self.account_for(profile, device_serial)
        except MfaError as exc:
            log.debug("no YubiKey item: %s", exc.message)
            return None

    # -- the code ------------------------------------------------------------

    def code(self, account: str) -> str:
        """The current 6-digit code of ``account``; the key may wait for a touch."""
        log.info("asking the YubiKey for a code (account %s)", account)
        late = TouchTimeout(
            f"The YubiKey gave no code within {CODE_TIMEOUT:.0f} seconds.",
            "Try again and touch the key when it blinks, or plug it in again.",
        )
        try:
            args = ["oath", "accounts", "code", "-s", "--", account]
            output = self._run(args, CODE_TIMEOUT, late)
        except NoOathAccount:
            # The key changed since it was listed: the list is out of date.
            self.forget()
            raise NoOathAccount(
                f"The YubiKey has no OATH account named {account}.", SEE_FOR_YOURSELF
            ) from None

        digits = output.strip()
        if not re.fullmatch(r"[0-9]{6}", digits):
            raise YkmanFailed(
                f"The YubiKey account {account} did not give a 6-digit code.",
                "AWS takes 6-digit codes: check that it is the account for AWS.",
            )
        return digits


def code_for(settings: Settings, profile: str, device_serial: str | None) -> str:
    """The current code for ``profile``'s MFA device, from the YubiKey's matching account."""
    key = find(settings)
    if key is None:
        raise YkmanMissing(
            "YubiKey Manager (ykman) was not found.",
            "Install it with 'brew install ykman', or set its path in the configuration.",
        )

    account = key.account_for(profile, device_serial)
    if account is None:
        configured = settings.yubikey_account(profile)
        if configured is not None:
            raise NoOathAccount(
                f"The YubiKey has no OATH account named {configured}.", SEE_FOR_YOURSELF
            )
        raise NoOathAccount(
            f"No OATH account on the YubiKey belongs to {profile}.",
            f"Name it in the configuration's YubiKey accounts: {profile} = ACCOUNT.",
        )

    return key.code(account)
