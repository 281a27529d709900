"""What the workflow remembers between runs, in its own data folder.

Small JSON files: the last profile used (for the hotkey), the MFA device
chosen for each profile (so the next login needs no IAM call), and a short
tag of each code sent in the last 90 seconds (so a code typed twice is
caught before AWS refuses it; older tags are dropped at the next login).
Folders are 0700 and files 0600: a device ARN names the user's account.
"""

import hashlib
import json
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

LAST_PROFILE = "last_profile.json"
DEVICES = "devices.json"
CODES = "codes.json"

# A code is good for one 30-second step (AWS also takes it a step late) and
# only once; the same code typed again within this long is a reuse.
CODE_MEMORY = 90
CODE_TAG = 3


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed, readable by the user alone."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


class Store:
    """The workflow's remembered state, in ``data_dir``."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._seen: dict[str, dict] = {}

    def _read(self, name: str) -> dict:
        # A keystroke asks for many profiles' entries: read each file once.
        if name not in self._seen:
            self._seen[name] = self._load(name)
        return json.loads(json.dumps(self._seen[name]))

    def _load(self, name: str) -> dict:
        try:
            with open(self.data_dir / name, encoding="utf-8") as f:
                value = json.load(f)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", name, exc)
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self, name: str, value: dict) -> None:
        import tempfile

        private_dir(self.data_dir)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=self.data_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(value, f, indent=1, sort_keys=True)
            os.replace(tmp, self.data_dir / name)
            self._seen[name] = value
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def last_profile(self) -> str | None:
        """The base profile of the last successful login."""
        name = self._read(LAST_PROFILE).get("profile")
        return name if isinstance(name, str) else None

    def set_last_profile(self, profile: str) -> None:
        self._write(LAST_PROFILE, {"profile": profile})

    def device(self, profile: str, fingerprint: str) -> str | None:
        """The device remembered for ``profile``, if its key is still the same."""
        entry = self._read(DEVICES).get(profile) or {}
        if entry.get("key") == fingerprint and isinstance(entry.get("serial"), str):
            return entry["serial"]
        return None

    def choices(self, profile: str, fingerprint: str) -> list[str]:
        """The devices found for ``profile`` when it had more than one to choose from."""
        entry = self._read(DEVICES).get(profile) or {}
        if entry.get("key") == fingerprint and isinstance(entry.get("choices"), list):
            return [s for s in entry["choices"] if isinstance(s, str)]
        return []

    def _update(self, profile: str, fingerprint: str, **fields) -> None:
        devices = self._read(DEVICES)
        entry = devices.get(profile) or {}
        if entry.get("key") != fingerprint:
            entry = {"key": fingerprint}
        entry.update(fields)
        devices[profile] = {k: v for k, v in entry.items() if v is not None}
        self._write(DEVICES, devices)

    def remember_device(self, profile: str, fingerprint: str, serial: str) -> None:
        self._update(profile, fingerprint, serial=serial, choices=None)

    def offer_devices(self, profile: str, fingerprint: str, serials: list[str]) -> None:
        self._update(profile, fingerprint, serial=None, choices=serials)

    def account(self, profile: str, fingerprint: str) -> str | None:
        """The account a login with ``profile``'s current key found it in."""
        entry = self._read(DEVICES).get(profile) or {}
        if entry.get("key") == fingerprint and isinstance(entry.get("account"), str):
            return entry["account"]
        return None

    def remember_account(self, profile: str, fingerprint: str, account: str) -> None:
        self._update(profile, fingerprint, account=account)

    def forget_device(self, profile: str) -> None:
        devices = self._read(DEVICES)
        entry = devices.get(profile)
        if entry and ("serial" in entry or "choices" in entry):
            entry.pop("serial", None)
            entry.pop("choices", None)
            self._write(DEVICES, devices)

    @staticmethod
    def _code_key(serial: str, code: str) -> str:
        # Not the code, nor a hash that gives it back: with a million codes,
        # a full hash is undone in a second. Three hex digits of one leave
        # about 250 codes to each value; a new code that happens to share
        # its value with one used in the last 90 seconds (1 in 4,096) is
        # refused, and the next code goes through.
        # AWS takes a code once per device, whichever profile sent it.
        return hashlib.sha256(f"{serial}\0{code}".encode()).hexdigest()[:CODE_TAG]

    def code_used(self, serial: str | None, code: str) -> bool:
        """True when this code was sent for this device moments ago."""
        if not serial:
            return False
        used = self._read(CODES).get(self._code_key(serial, code))
        return isinstance(used, (int, float)) and time.time() - used < CODE_MEMORY

    def record_code(self, serial: str, code: str) -> None:
        now = time.time()
        codes = {
            k: v
            for k, v in self._read(CODES).items()
            if isinstance(v, (int, float)) and now - v < CODE_MEMORY
        }
        codes[self._code_key(serial, code)] = now
        self._write(CODES, codes)
