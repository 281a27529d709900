"""Reading what the user typed after the keyword: a filter, or a profile and a code.

The code is the run of digits at the end (one space inside it is allowed,
as authenticator apps show ``123 456``); the profile is everything before
it, so profile names with spaces work.
"""

import dataclasses
import re

CODE_LENGTH = 6

_ASCII_CODE = re.compile(r"[0-9]+(?: [0-9]+)?")
_TRAILING_CODE = re.compile(r"(?P<name>.+?)\s+(?P<code>[\d\s]+)")


@dataclasses.dataclass(frozen=True)
class Query:
    """The typed text, split into what it means."""

    text: str
    profile: str | None = None
    code_text: str | None = None
    unknown: str | None = None


def parse(raw: str, names: list[str]) -> Query:
    """Split ``raw`` against the known profile ``names``."""
    typed = raw.lstrip()
    text = typed.strip()
    if not any(ch.isspace() for ch in typed):
        # A profile and a code are always apart: one word is a filter.
        return Query(text)

    # The exact spelling wins: AWS profile names are case-sensitive, and two
    # may differ only in case. The longest name wins among equals.
    longest_first = sorted(names, key=len, reverse=True)
    for same in (str, str.casefold):
        for name in longest_first:
            head = typed[: len(name)]
            if len(typed) > len(name) and typed[len(name)].isspace() and same(head) == same(name):
                return Query(text, profile=name, code_text=typed[len(name) :].strip())

    match = _TRAILING_CODE.fullmatch(text)
    if match and not any(n.casefold().startswith(text.casefold()) for n in names):
        return Query(text, unknown=match["name"])
    return Query(text)


@dataclasses.dataclass(frozen=True)
class Code:
    """A typed code checked locally: ``digits`` when usable, else ``problem``."""

    digits: str | None
    problem: str | None
    missing: int = 0


def check_code(text: str) -> Code:
    """Check a typed code without sending it anywhere."""
    if _ASCII_CODE.fullmatch(text):
        digits = text.replace(" ", "")
        if len(digits) < CODE_LENGTH:
            missing = CODE_LENGTH - len(digits)
            noun = "digit" if missing == 1 else "digits"
            return Code(None, f"{missing} more {noun} to go", missing)
        if len(digits) > CODE_LENGTH:
            return Code(None, f"That is {len(digits)} digits; MFA codes have 6")
        return Code(digits, None)
    if any(ch.isdigit() and not "0" <= ch <= "9" for ch in text):
        return Code(None, "Type the code with the digits 0 to 9")
    if " " in text.strip() and _ASCII_CODE.fullmatch(text.replace(" ", "")):
        return Code(None, "Only one space may split the code, as in 123 456")
    return Code(None, "The code is 6 digits, with no letters or signs")
