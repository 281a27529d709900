"""Odd but real ~/.aws files: every one gets an answer, and a login keeps every other byte.

Each folder under ``fixtures/odd`` holds a ``config`` and/or a
``credentials`` file (either may be missing, or a folder). For each, the
list, the code prompt and the typed code must answer with valid Script
Filter JSON; Enter must either work and keep every byte outside the
session's sections, or say why and change nothing.
"""

import json
import shutil

import pytest
from conftest import FIXTURES, snapshot

from afwf_mfa.inifile import remove_section

ODD = FIXTURES / "odd"

# What Enter must lead to: None for a working login, else words of the message.
CASES = {
    "crlf": ("dev", None),
    "no-final-newline": ("dev", None),
    "unicode": ("dev", None),
    "percent": ("dev", None),
    "nested": ("dev", None),
    "inline-comments": ("dev", "comment after its value"),
    "profile-default-and-default": ("default", None),
    "credentials-only": ("dev", None),
    "config-only": ("dev", None),
    "profile-prefix-in-credentials": ("dev", None),
    "sso-and-roles": ("dev", None),
    "stale-security-token": ("dev", None),
    "duplicate-section": ("dev", "the section [dev] appears twice"),
    "duplicate-key": ("dev", "the key 'aws_secret_access_key' appears twice in [dev]"),
    "missing-section-header": ("dev", "a line stands before the first [section] header"),
    "byte-order-mark": ("dev", "byte-order mark"),
    "binary-garbage": ("dev", "not UTF-8"),
    "folder-instead-of-file": ("dev", "is not a file"),
    "empty": ("dev", "There is no profile named 'dev'"),
    "missing": ("dev", "There is no profile named 'dev'"),
    "handwritten-dev-mfa": ("dev", "was not written by this workflow"),
    "dev-mfa-with-role": ("dev", "was not written by this workflow"),
    "dev-mfa-with-process": ("dev", "was not written by this workflow"),
}


def test_every_fixture_has_a_case():
    folders = {p.name for p in ODD.iterdir() if p.is_dir()}

    assert folders <= set(CASES)


def _install(case, home):
    source = ODD / case
    if source.is_dir():
        for entry in source.iterdir():
            target = home / ".aws" / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                shutil.copyfile(entry, target)
    if (home / ".aws/credentials").is_file():
        (home / ".aws/credentials").chmod(0o600)


def _outside(text: str, section: str) -> list[str]:
    """The file's lines without our section, trailing blank lines ignored."""
    lines = remove_section(text, section, "dev", ODD).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _kept(before: bytes | None, after: bytes, section: str) -> bool:
    old = (before or b"").decode()
    new = after.decode()
    if f"[{section}]" not in old:
        return new.startswith(old)
    return _outside(old, section) == _outside(new, section)


@pytest.mark.parametrize("case", sorted(CASES))
def test_odd_file(case, home, alfred):
    profile, message = CASES[case]
    _install(case, home)
    before = snapshot(home)

    answers = {q: alfred.type(q) for q in ("", f"{profile} ", f"{profile} 123456")}

    for typed, answer in answers.items():
        assert answer["items"], typed
        assert all(item["title"] for item in answer["items"])
        assert "Traceback" not in json.dumps(answer)
        assert "LEAKMEIFYOUCAN" not in json.dumps(answer)
    actionable = [i for i in answers[f"{profile} 123456"]["items"] if i.get("valid", True)]

    if message is not None:
        assert not actionable
        shown = json.dumps(answers, ensure_ascii=False)
        assert message in shown
        from_login = alfred.enter(
            {"arg": json.dumps({"profile": profile, "code": "123456", "serial": None})}
        )
        assert message in " ".join(from_login.notifications[0])
        assert from_login.clipboard == []
        assert snapshot(home) == before
        return

    (item,) = actionable
    outputs = alfred.enter(item)
    assert outputs.clipboard, outputs.notifications
    after = snapshot(home)
    session = f"{profile}_mfa"
    assert _kept(before.get(".aws/credentials"), after[".aws/credentials"], session)
    assert _kept(before.get(".aws/config"), after[".aws/config"], f"profile {session}")
    assert "aws_security_token" not in after[".aws/credentials"].decode()
