"""Logging to a rotating file in the workflow's cache folder, with secrets masked.

Stdout belongs to Alfred, so nothing here writes to it. While Alfred's
debugger is open (``alfred_debug=1``) the log also goes to stderr, which the
debugger shows, and DEBUG lines are kept.
"""

import logging
import re
import sys

from .settings import Settings
from .store import private_dir

LOG_NAME = "afwf_mfa.log"

# Access key IDs keep their four-letter kind (AKIA, ASIA) so a log still
# tells long-term keys from session keys; everything else that looks like a
# secret key, a session token or an MFA code is replaced whole.
_MASKS = [
    (re.compile(r"\b(A[KS]IA|AROA|AIDA)[A-Z0-9]{12,}\b"), r"\1****"),
    (re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40,}(?![A-Za-z0-9/+=])"), "****"),
    (re.compile(r"(?<![\d:.-])\d{3} ?\d{3}(?![\d:.-])"), "******"),
]


def mask(text: str) -> str:
    """Return ``text`` with access key IDs, secrets, tokens and codes masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFormatter(logging.Formatter):
    """A formatter that masks secrets in the whole line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class _LazyFileHandler(logging.Handler):
    """A rotating log file opened on the first record, so a quiet keystroke pays nothing."""

    def __init__(self, path, formatter: logging.Formatter):
        super().__init__()
        self.path = path
        self.setFormatter(formatter)
        self._file = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            import logging.handlers

            try:
                private_dir(self.path.parent)
                self._file = logging.handlers.RotatingFileHandler(
                    self.path, maxBytes=512 * 1024, backupCount=2, encoding="utf-8"
                )
                self.path.chmod(0o600)
            except OSError:
                self._file = logging.NullHandler()
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup(settings: Settings) -> str:
    """Send the package's log to the cache folder; return the log file's path."""
    logger = logging.getLogger("afwf_mfa")
    logger.setLevel(logging.DEBUG if settings.debug else logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()

    formatter = MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    path = settings.cache_dir / LOG_NAME
    logger.addHandler(_LazyFileHandler(path, formatter))

    if settings.debug:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        logger.addHandler(stream)
    return str(path)
