"""Reading the AWS CLI's profiles the way the AWS CLI reads them.

botocore's own ``configloader`` parses both files, so a profile here means
exactly what it means to ``aws --profile NAME``. This module is on the
keystroke path: it imports no botocore session or client, and botocore's
parser only when the files changed since the last keystroke (see
:func:`load_cached`).
"""

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
from pathlib import Path

from .errors import AwsFileError, ProfileError
from .settings import Settings

log = logging.getLogger(__name__)

CACHE_NAME = "profiles.json"
CACHE_FORMAT = 1

# The key that marks a section this workflow wrote; its value is the base
# profile. botocore ignores keys it does not know.
OWNER_KEY = "afwf_mfa_base"

BASE = "base"
SESSION = "session"
ROLE = "role"
UNUSABLE = "unusable"

# What a role profile carries over to its copy that signs in through the
# MFA session; mfa_serial is left behind, so the AWS CLI asks for nothing.
ROLE_KEYS = ("role_arn", "region", "role_session_name", "duration_seconds", "external_id")


@dataclasses.dataclass
class Profile:
    """One profile as the AWS CLI resolves it, reduced to what the workflow needs."""

    name: str
    kind: str
    reason: str = ""
    region: str | None = None
    output: str | None = None
    mfa_serial: str | None = None
    access_key_id: str | None = dataclasses.field(default=None, repr=False)
    secret_access_key: str | None = dataclasses.field(default=None, repr=False)
    key_fingerprint: str | None = None
    ca_bundle: str | None = None
    expiration: dt.datetime | None = None
    owner: str | None = None
    config_owner: str | None = None
    credentials_owner: str | None = None
    in_config: bool = False
    in_credentials: bool = False
    problem: str = ""
    source_profile: str | None = None
    role: dict | None = None
    key_account: str | None = None

    @property
    def is_base(self) -> bool:
        return self.kind == BASE


def _line_of(error: Exception, path: Path) -> int | None:
    """The line number a parse error points at, without its text."""
    lineno = getattr(error, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    errors = getattr(error, "errors", None)
    if errors:
        return errors[0][0]
    if isinstance(error, UnicodeDecodeError):
        try:
            return path.read_bytes()[: error.start].count(b"\n") + 1
        except OSError:
            return None
    return None


def _describe(error: Exception) -> str:
    import configparser  # botocore's parser has loaded it by the time a file fails

    if isinstance(error, configparser.DuplicateSectionError):
        return f"the section [{error.section}] appears twice"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"the key {error.option!r} appears twice in [{error.section}]"
    if isinstance(error, configparser.MissingSectionHeaderError):
        return "a line stands before the first [section] header"
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return "a line is not 'key = value' or a [section] header"


def read_sections(path: Path) -> dict[str, dict]:
    """Parse one file with botocore's parser; a missing file has no sections."""
    if path.exists() and not path.is_file():
        raise AwsFileError(
            f"{path} is not a file.",
            "Move it away so the AWS CLI and this workflow can use that path.",
        )
    if path.is_file() and not os.access(path, os.R_OK):
        raise AwsFileError(
            f"{path} cannot be read.", f"Give yourself read access: chmod u+rw {path}"
        )
    if path.is_file() and path.read_bytes()[:3] == b"\xef\xbb\xbf":
        raise AwsFileError(
            f"{path} starts with a byte-order mark, so the AWS CLI cannot read it.",
            "Save it as UTF-8 without BOM.",
        )
    from botocore import configloader
    from botocore.exceptions import ConfigNotFound, ConfigParseError

    try:
        return configloader.raw_config_parse(str(path))
    except ConfigNotFound:
        return {}
    except ConfigParseError as exc:
        error = exc.kwargs.get("error")
        line = _line_of(error, path) if error is not None else None
        where = f" at line {line}" if line else ""
        reason = _describe(error) if error is not None else "it is not valid INI"
        raise AwsFileError(
            f"The AWS CLI cannot read {path}{where}: {reason}.",
            "Fix that line; the AWS CLI refuses the whole file until then.",
        ) from None


def config_profiles(sections: dict[str, dict]) -> dict[str, dict]:
    """Map config sections to profiles the way botocore does."""
    from botocore import configloader

    return configloader.build_profile_map(sections)["profiles"]


def parse_expiration(value: str | None) -> dt.datetime | None:
    """Read an ``expiration`` value; a time without offset is taken as UTC."""
    if not value:
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when


# Keys whose value the login uses; an inline comment after one of them is
# part of the value to botocore, and would be sent to AWS as such.
_CHECKED_KEYS = (
    "region",
    "mfa_serial",
    "output",
    "aws_access_key_id",
    "aws_secret_access_key",
)


def _inline_comment(values: dict) -> str:
    """Which checked key carries an inline comment, said without its value."""
    for key in _CHECKED_KEYS:
        value = values.get(key)
        if isinstance(value, str) and any(mark in value for mark in (" #", " ;", "\t#", "\t;")):
            return (
                f"{key} has a comment after its value, which the AWS CLI reads as part "
                "of the value; put the comment on a line of its own"
            )
    return ""


def _classify(
    name: str, config: dict, creds: dict, in_config: bool, in_credentials: bool
) -> Profile:
    """Decide what ``aws --profile name`` would use, in botocore's provider order."""
    merged = {**config, **creds}
    profile = Profile(
        name=name,
        kind=UNUSABLE,
        region=merged.get("region") if isinstance(merged.get("region"), str) else None,
        output=merged.get("output") if isinstance(merged.get("output"), str) else None,
        mfa_serial=merged.get("mfa_serial") or None,
        ca_bundle=merged.get("ca_bundle") or None,
        owner=merged.get(OWNER_KEY) or None,
        config_owner=config.get(OWNER_KEY) or None,
        credentials_owner=creds.get(OWNER_KEY) or None,
        expiration=parse_expiration(merged.get("expiration")),
        in_config=in_config,
        in_credentials=in_credentials,
        problem=_inline_comment({**config, **creds}),
    )

    if merged.get("role_arn") and merged.get("source_profile"):
        profile.kind = ROLE
        profile.source_profile = merged["source_profile"]
        profile.role = {k: merged[k] for k in ROLE_KEYS if isinstance(merged.get(k), str)}
        profile.reason = "assumes a role; sign in to its source profile instead"
        return profile
    if merged.get("role_arn") and merged.get("credential_source"):
        profile.reason = "assumes a role with the machine's own credentials"
        return profile
    if merged.get("role_arn") and merged.get("web_identity_token_file"):
        profile.reason = "uses web identity, not access keys"
        return profile
    if merged.get("sso_session") or merged.get("sso_start_url"):
        profile.reason = "signs in with IAM Identity Center (SSO), not access keys"
        return profile

    keys = None
    if creds.get("aws_access_key_id") and creds.get("aws_secret_access_key"):
        keys = creds
    elif merged.get("login_session"):
        profile.reason = "signs in with 'aws login', not access keys"
        return profile
    elif merged.get("credential_process"):
        profile.reason = "gets its keys from credential_process"
        return profile
    elif config.get("aws_access_key_id") and config.get("aws_secret_access_key"):
        keys = config
    if keys is None:
        if merged.get("aws_access_key_id"):
            profile.reason = "has an access key ID but no secret access key"
        else:
            profile.reason = "has no access keys"
        return profile

    profile.access_key_id = keys["aws_access_key_id"]
    profile.secret_access_key = keys["aws_secret_access_key"]
    profile.key_fingerprint = key_fingerprint(profile.access_key_id)
    profile.key_account = account_from_key(profile.access_key_id)
    # botocore reads aws_security_token before aws_session_token.
    if keys.get("aws_security_token") or keys.get("aws_session_token"):
        profile.kind = SESSION
        profile.reason = "holds temporary session keys"
    else:
        profile.kind = BASE
    return profile


def account_from_arn(arn: str | None) -> str | None:
    """The 12-digit account in an ARN such as ``arn:aws:iam::123456789012:mfa/x``."""
    parts = (arn or "").split(":")
    if len(parts) >= 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None


def account_from_key(access_key_id: str | None) -> str | None:
    """The account an access key ID encodes; keys from before the encoding give nonsense.

    The 16 characters after the four-letter prefix are base32; the first six
    bytes, masked and shifted, are the account number.
    """
    body = (access_key_id or "")[4:]
    if len(body) != 16:
        return None
    try:
        raw = base64.b32decode(body)
    except (binascii.Error, ValueError):
        return None
    number = (int.from_bytes(raw[:6], "big") & 0x7FFFFFFFFF80) >> 7
    return f"{number:012d}" if number < 10**12 else None


def key_fingerprint(access_key_id: str) -> str:
    """A short stand-in for an access key ID, to notice when a profile's key changes."""
    return hashlib.sha256(access_key_id.encode()).hexdigest()[:16]


@dataclasses.dataclass
class AwsFiles:
    """The profiles both files make, in the files' order."""

    settings: Settings
    profiles: dict[str, Profile]

    def get(self, name: str) -> Profile | None:
        """The profile ``name``; case-insensitive only when that is unambiguous."""
        if name in self.profiles:
            return self.profiles[name]
        folded = [p for n, p in self.profiles.items() if n.casefold() == name.casefold()]
        return folded[0] if len(folded) == 1 else None

    def require(self, name: str) -> Profile:
        """The profile ``name``, or a :class:`ProfileError` that says where profiles come from."""
        profile = self.get(name)
        if profile is None:
            raise ProfileError(
                f"There is no profile named {name!r}.",
                f"Profiles come from {self.settings.config_file} and "
                f"{self.settings.credentials_file}.",
            )
        return profile

    def session_of(self, base: str) -> Profile | None:
        """The MFA session profile of ``base``, if there is one."""
        return self.profiles.get(self.settings.session_name(base))

    def foreign_session(self, base: Profile) -> str | None:
        """The file whose session section for ``base`` this workflow did not write."""
        session = self.session_of(base.name)
        if session is None:
            return None
        if session.in_credentials and session.credentials_owner != base.name:
            return str(self.settings.credentials_file)
        if session.in_config and session.config_owner != base.name:
            return str(self.settings.config_file)
        return None

    def is_session_entry(self, profile: Profile) -> bool:
        """True when ``profile`` is shown as another profile's session, not on its own."""
        base = self.settings.base_name(profile.name)
        if base is None or base not in self.profiles:
            return False
        return profile.kind == SESSION or profile.owner is not None

    def bases(self) -> list[Profile]:
        """The profiles listed on their own: files' order, each role after its source."""
        listed = [p for p in self.profiles.values() if not self.is_session_entry(p)]
        sources = {p.name for p in listed}
        roles: dict[str, list[Profile]] = {}
        for p in listed:
            if p.kind == ROLE and p.source_profile in sources and p.source_profile != p.name:
                roles.setdefault(p.source_profile, []).append(p)
        placed = {id(r) for group in roles.values() for r in group}
        ordered: list[Profile] = []
        seen: set[int] = set()

        def add(profile: Profile) -> None:
            # A role may be the source of another role: each goes under its own.
            if id(profile) in seen:
                return
            seen.add(id(profile))
            ordered.append(profile)
            for role in roles.get(profile.name, []):
                add(role)

        for p in listed:
            if id(p) not in placed:
                add(p)
        for p in listed:  # roles in a loop of sources, which no base leads to
            add(p)
        return ordered

    def roles_of(self, base: str) -> list[Profile]:
        """The role profiles whose source is ``base``."""
        return [p for p in self.profiles.values() if p.kind == ROLE and p.source_profile == base]


def load(settings: Settings) -> AwsFiles:
    """Read both files; an unreadable one raises :class:`AwsFileError`."""
    import gc

    # The parser makes many small objects that live until the end; the
    # collector's passes over them cost more than the parse at 10,000
    # profiles, and this short-lived process frees them all at exit anyway.
    collecting = gc.isenabled()
    gc.disable()
    try:
        config_sections = read_sections(settings.config_file)
        credentials_sections = read_sections(settings.credentials_file)
        configs = config_profiles(config_sections)
    finally:
        if collecting:
            gc.enable()

    names = list(configs)
    names += [n for n in credentials_sections if n not in configs]
    profiles = {
        name: _classify(
            name,
            configs.get(name, {}),
            credentials_sections.get(name, {}),
            name in configs,
            name in credentials_sections,
        )
        for name in names
    }
    return AwsFiles(settings, profiles)


# The cache keeps what the list needs and nothing secret: no keys, only a
# fingerprint of the access key ID. It is keyed on both files' identity,
# size and times, so any change to either file (an edit in place or an
# atomic replace) makes the next keystroke parse them again.

_PUBLIC_FIELDS = [
    f.name
    for f in dataclasses.fields(Profile)
    if f.name not in ("access_key_id", "secret_access_key", "expiration")
]


def _file_key(path: Path) -> list | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _cache_key(settings: Settings) -> list:
    return [
        CACHE_FORMAT,
        str(settings.config_file),
        str(settings.credentials_file),
        settings.suffix,
        _file_key(settings.config_file),
        _file_key(settings.credentials_file),
    ]


def _to_cache(files: AwsFiles, key: list) -> dict:
    rows = []
    for profile in files.profiles.values():
        row = [getattr(profile, name) for name in _PUBLIC_FIELDS]
        row.append(profile.expiration.isoformat() if profile.expiration else None)
        rows.append(row)
    return {"key": key, "fields": _PUBLIC_FIELDS + ["expiration"], "profiles": rows}


def _from_cache(settings: Settings, data: dict) -> AwsFiles:
    # Every field is in the row (the cache is written from Profile objects),
    # so the objects are filled in directly: calling the dataclass's
    # __init__ a thousand times costs a keystroke more than reading the file.
    fields = data["fields"]
    rows = data.pop("profiles")
    profiles = {}
    for i, row in enumerate(rows):
        # Each row's list goes as soon as its profile holds the values, so
        # that a long cache is not held twice at the peak.
        rows[i] = None
        profile = object.__new__(Profile)
        profile.__dict__.update(zip(fields, row, strict=True))
        profile.access_key_id = profile.secret_access_key = None
        if profile.expiration is not None:
            profile.expiration = parse_expiration(profile.expiration)
        profiles[profile.name] = profile
    return AwsFiles(settings, profiles)


def load_cached(settings: Settings, remember: bool = True) -> AwsFiles:
    """The profiles, from the cache folder when neither file changed since.

    Parsed profiles are cached for the next keystroke; without ``remember``
    they are not, for a caller about to change the files anyway.
    """
    key = _cache_key(settings)
    path = settings.cache_dir / CACHE_NAME
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("key") == key and data.get("fields") == _PUBLIC_FIELDS + ["expiration"]:
            return _from_cache(settings, data)
    except (OSError, ValueError, TypeError, KeyError):
        pass

    files = load(settings)
    if remember and _cache_key(settings) == key:
        _write_cache(path, _to_cache(files, key))
    return files


# A line that starts with "[" in the first column is always a section header
# to configparser (a value's continuation lines are indented), so a
# section's lines can be found from first columns alone. An indented "[" is
# a header or a continuation depending on what came before; then only a
# full parse can tell.
_HEADER = re.compile(r"\[(?P<header>.+)\]")


def section_span(text: str, section: str) -> tuple[int, int] | None:
    """Where ``section``'s lines start and end in ``text``, or None if it has none.

    Raises ``ValueError`` when the file needs a full parse to say: an
    indented line that could be a header, or the section twice.
    """
    offset, start, end = 0, None, None
    for line in text.splitlines(keepends=True):
        first = line[:1]
        if first in (" ", "\t") and line.lstrip()[:1] == "[":
            raise ValueError("an indented line may be a section header")
        if first == "[":
            match = _HEADER.match(line.strip())
            if start is not None and end is None:
                end = offset
            if match and match["header"] == section:
                if start is not None:
                    raise ValueError("the section appears twice")
                start = offset
        offset += len(line)
    if start is None:
        return None
    return start, len(text) if end is None else end


def _section_keys(path: Path, section: str) -> dict[str, str] | None:
    """One section's keys as botocore reads them, parsing that section's lines alone."""
    try:
        text = path.read_bytes().decode("utf-8")
        span = section_span(text, section)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if span is None:
        return {}
    import configparser  # only a login reads a section; a keystroke needs no parser

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text[span[0] : span[1]])
    except configparser.Error:
        return None
    return dict(parser[section])


def load_for_login(settings: Settings, name: str) -> tuple[AwsFiles, Profile | None]:
    """The profiles, and ``name``'s with its long-term keys, parsing as little as it can.

    When the files have not changed since the last keystroke, the cached
    profiles serve and only the profile's own section is read for its keys;
    the key must match the cached fingerprint, or both files are parsed.
    """
    # A login rewrites the files, which makes any cache written now stale.
    files = load_cached(settings, remember=False)
    profile = files.get(name)
    if profile is None or not profile.is_base or profile.access_key_id:
        return files, profile

    keys = None
    if profile.name != "default":
        creds = _section_keys(settings.credentials_file, profile.name)
        if creds and creds.get("aws_access_key_id") and creds.get("aws_secret_access_key"):
            keys = creds
        elif creds is not None:
            config = _section_keys(settings.config_file, f"profile {profile.name}")
            if config and config.get("aws_access_key_id"):
                keys = config
    if keys and key_fingerprint(keys["aws_access_key_id"]) == profile.key_fingerprint:
        profile.access_key_id = keys["aws_access_key_id"]
        profile.secret_access_key = keys["aws_secret_access_key"]
        return files, profile

    files = load(settings)
    return files, files.get(name)


def _write_cache(path: Path, data: dict) -> None:
    import tempfile

    from .store import private_dir

    try:
        private_dir(path.parent)
        # json.dumps encodes in C in one go; json.dump would go piece by piece in Python.
        text = json.dumps(data, separators=(",", ":"))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not cache the profiles: %s", exc)
