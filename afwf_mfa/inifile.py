"""Writing one section of an AWS file while keeping every other byte.

configupdater parses the file into blocks that print back exactly as they
were read; the section this workflow owns is replaced as text, and the
blocks around it are copied through untouched. The result is written
atomically (temporary file beside the target, flush, fsync, rename),
through a symlink to its target, under a lock in the workflow's cache
folder, and only if the file did not change while the edit was made.
"""

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import filelock
from configupdater import ConfigUpdater, Option, Section
from configupdater.block import Comment, Space

from .errors import AwsFileError, NotOursError
from .profiles import OWNER_KEY, section_span
from .store import private_dir

log = logging.getLogger(__name__)

TEMP_MARK = ".afwf_mfa-"
LOCK_NAME = "aws-files.lock"
ATTEMPTS = 3


def _newline(text: str) -> str:
    """The line ending the file already uses."""
    return "\r\n" if "\r\n" in text else "\n"


def _parse(text: str, path: Path) -> ConfigUpdater:
    updater = ConfigUpdater()
    try:
        updater.read_string(text)
    except Exception as exc:  # configupdater raises configparser errors and its own
        raise AwsFileError(
            f"{path} cannot be edited safely ({type(exc).__name__}).",
            "Check it with 'aws configure list'; nothing was changed.",
        ) from None
    if str(updater) != text:
        raise AwsFileError(f"{path} would not be kept byte for byte.", "Nothing was changed.")
    return updater


def _check_owner(section: Section | None, owner: str, path: Path) -> None:
    if section is None:
        return
    if not section.has_option(OWNER_KEY) or (section[OWNER_KEY].value or "").strip() != owner:
        raise NotOursError.about(section.name, path)


def _split(text: str, section: str, path: Path) -> tuple[str, Section | None, str]:
    """The text before ``section``, the section parsed, and the text after it.

    Only the section's own lines go through configupdater, unless the file
    needs a full parse to be read safely; the lines around it are returned
    exactly as they are.
    """
    try:
        span = section_span(text, section)
    except ValueError:
        span = False
    if span is None:
        return text, None, ""
    if span:
        start, end = span
        chunk = _parse(text[start:end], path)
        return text[:start], chunk[section], text[end:]

    updater = _parse(text, path)
    if not updater.has_section(section):
        return text, None, ""
    before, after, found = [], [], None
    for block in updater.iter_blocks():
        if isinstance(block, Section) and block.name == section:
            found = block
        else:
            (after if found is not None else before).append(str(block))
    return "".join(before), found, "".join(after)


def holds_only(text: str, section: str, keys: tuple, path: Path) -> bool:
    """True when ``section`` exists and holds only some of ``keys``, and no comment."""
    _, found, _ = _split(text, section, path)
    if found is None:
        return False
    for block in found.iter_blocks():
        if isinstance(block, Option) and block.key not in keys:
            return False
        if isinstance(block, Comment):
            return False
    return True


def set_section(text: str, section: str, values: dict[str, str], owner: str, path: Path) -> str:
    """Return ``text`` with ``section`` holding exactly ``values`` and the owner mark.

    The section must be absent or carry this workflow's mark for ``owner``;
    anything else raises :class:`NotOursError`. Comments and blank lines the
    user left inside the section are kept after the new keys.
    """
    before, found, after = _split(text, section, path)
    _check_owner(found, owner, path)
    nl = _newline(text)
    body = [f"[{section}]"]
    body += [f"{key} = {value}" for key, value in values.items()]
    body.append(f"{OWNER_KEY} = {owner}")
    section_text = nl.join(body) + nl
    if found is None:
        return _append(text, section_text)

    kept = "".join(
        str(block) for block in found.iter_blocks() if isinstance(block, (Comment, Space))
    )
    return _keep_missing_newline(text, before + section_text + kept + after, nl)


def remove_section(text: str, section: str, owner: str, path: Path) -> str:
    """Return ``text`` without ``section``, which must carry this workflow's mark.

    Removing the last section also takes back the blank line and the final
    newline :func:`set_section` added when it appended it, so a login and a
    sign-out leave the file as it was.
    """
    before, found, after = _split(text, section, path)
    if found is None:
        return text
    _check_owner(found, owner, path)
    if after:
        return before + after

    nl = _newline(text)
    result = before
    if result.endswith(nl + nl) or result == nl:
        result = result[: -len(nl)]
    if not str(found).endswith(("\n", "\r")) and result.endswith(nl):
        result = result[: -len(nl)]
    return result


def set_keys(text: str, section: str, values: dict[str, str], drop: tuple, path: Path) -> str:
    """Return ``text`` with ``values`` set inside ``section`` and ``drop`` removed.

    Unlike :func:`set_section` this edits a section the user shares with the
    workflow (``[default]``): the header and every other line of it stay as
    they are; the keys set are placed right under the header.
    """
    before, found, after = _split(text, section, path)
    nl = _newline(text)
    lines = [f"{key} = {value}" for key, value in values.items()]
    if found is None:
        return _append(text, nl.join([f"[{section}]", *lines]) + nl)

    whole = str(found)
    header_end = whole.find("\n") + 1 or len(whole)
    header = whole[:header_end]
    if not header.endswith("\n"):
        header += nl
    replaced = set(values) | set(drop)
    kept = "".join(
        str(inner)
        for inner in found.iter_blocks()
        if not (isinstance(inner, Option) and inner.key in replaced)
    )
    rebuilt = header + "".join(line + nl for line in lines) + kept
    return _keep_missing_newline(text, before + rebuilt + after, nl)


def _append(text: str, section_text: str) -> str:
    nl = _newline(text)
    prefix = text
    if prefix and not prefix.endswith(("\n", "\r")):
        prefix += nl
    if prefix.strip() and prefix.splitlines()[-1].strip():
        prefix += nl
    return _keep_missing_newline(text, prefix + section_text, nl)


def _keep_missing_newline(text: str, result: str, nl: str) -> str:
    if text and not text.endswith(("\n", "\r")) and result.endswith(nl):
        return result[: -len(nl)]
    return result


def read_text(path: Path) -> str:
    """The file's text with its line endings as they are; a missing file is empty."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise AwsFileError(
            f"{path} cannot be read ({exc.strerror}).", "Check its permissions."
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AwsFileError(f"{path} is not UTF-8 text.", "Nothing was changed.") from None


def _remove_leftovers(folder: Path, name: str) -> None:
    """Delete temporary files an interrupted earlier write left beside ``name``."""
    prefix = f".{name}{TEMP_MARK}"
    try:
        for entry in folder.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                entry.unlink(missing_ok=True)
                log.info("removed leftover %s", entry)
    except OSError:
        pass


def _replace(target: Path, text: str, mode: int, expected: str) -> bool:
    """Write ``text`` over ``target`` unless it no longer holds ``expected``."""
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}{TEMP_MARK}", suffix=".tmp", dir=target.parent
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        if read_text(target) != expected:
            Path(tmp).unlink(missing_ok=True)
            return False
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return True


def edit_file(path: Path, edit: Callable[[str], str], private: bool) -> tuple[str, str]:
    """Apply ``edit`` to the file's text and write the result safely.

    A symlink is followed and its target replaced, so the link stays. The
    file is read again just before the rename; if another program changed
    it meanwhile, the edit is redone on the new text. ``private`` files are
    written 0600; others keep their mode (0600 when new). Returns the old
    and the new text.
    """
    target = Path(os.path.realpath(path))
    try:
        if not target.parent.exists():
            private_dir(target.parent)
        _remove_leftovers(target.parent, target.name)
        for _ in range(ATTEMPTS):
            old = read_text(target)
            new = edit(old)
            if new == old:
                return old, new
            if target.exists():
                mode = 0o600 if private else target.stat().st_mode & 0o777
            else:
                mode = 0o600
            if _replace(target, new, mode, expected=old):
                return old, new
            log.info("%s changed while being edited; editing it again", target)
    except OSError as exc:
        raise AwsFileError(
            f"{path} could not be written ({exc.strerror}).",
            "Check the folder's permissions and free disk space; the file was not changed.",
        ) from None
    raise AwsFileError(
        f"{path} kept changing while it was being written.",
        "Close other programs that edit it and try again.",
    )


def files_lock(cache_dir: Path) -> filelock.FileLock:
    """The lock every write to the AWS files holds, kept in the workflow's cache folder."""
    private_dir(cache_dir)
    return filelock.FileLock(str(cache_dir / LOCK_NAME), timeout=5, mode=0o600)
