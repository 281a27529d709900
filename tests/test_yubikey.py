"""Codes from a YubiKey: ``mfa dev `` offers the key, Enter asks it for the code and logs in.

A stand-in ``ykman`` (a shell script the tests write) answers ``oath accounts
list`` and ``oath accounts code -s NAME`` as YubiKey Manager does, from files
beside it, and records each subcommand it ran. Alfred's PATH has no ykman, so
the workflow's configuration points at the stand-in.
"""

import configparser
import json
import os
import shutil
import stat
import time

import pytest
from alfred import ALFRED_PATH
from conftest import dev_files, snapshot, write_aws

from afwf_mfa import settings as settings_module
from afwf_mfa import yubikey
from afwf_mfa.errors import MfaError, NoOathAccount, SettingsError, TouchTimeout, YkmanMissing

ACCOUNT = "123456789012"
TITLE = "Get a session with your YubiKey"

STAND_IN = r"""#!/bin/sh
# Answers like YubiKey Manager's ykman, from the files beside it: accounts
# (one name a line), code (the next code) and state (what goes wrong).
here=${0%/*}
echo "$2 $3" >> "$here/calls"
state=$(cat "$here/state" 2>/dev/null)
case "$state" in
  no-key) echo "ERROR: No YubiKey detected!" >&2; exit 1 ;;
  broken) echo "ERROR: Failed to connect to YubiKey." >&2; exit 1 ;;
esac
case "$1 $2 $3" in
  "oath accounts list")
    cat "$here/accounts"
    exit 0 ;;
  "oath accounts code")
    shift 3
    single=""
    while [ $# -gt 0 ]; do
      case "$1" in
        -s|--single) single=1; shift ;;
        --) shift; break ;;
        *) break ;;
      esac
    done
    if ! grep -Fxq -- "$1" "$here/accounts"; then
      echo "ERROR: No matching account found." >&2
      exit 1
    fi
    echo "Touch your YubiKey..." >&2
    case "$state" in
      untouched) echo "ERROR: Touch account timed out!" >&2; exit 1 ;;
      locked) printf "Enter the password: " >&2; echo "Aborted!" >&2; exit 1 ;;
      hang) exec sleep 30 ;;
    esac
    if [ -n "$single" ]; then cat "$here/code"; else echo "$1  $(cat "$here/code")"; fi
    exit 0 ;;
esac
echo "Usage: ykman [OPTIONS] COMMAND [ARGS]..." >&2
exit 2
"""


class StandIn:
    """The stand-in ykman in its own folder, and the files that steer it."""

    def __init__(self, folder):
        folder.mkdir()
        self.folder = folder
        self.path = folder / "ykman"
        self.path.write_text(STAND_IN)
        self.path.chmod(0o755)
        self.accounts = []
        self.code = "000000"

    @property
    def accounts(self) -> list[str]:
        return (self.folder / "accounts").read_text().splitlines()

    @accounts.setter
    def accounts(self, names: list[str]) -> None:
        (self.folder / "accounts").write_text("".join(f"{n}\n" for n in names))

    @property
    def code(self) -> str:
        return (self.folder / "code").read_text().strip()

    @code.setter
    def code(self, digits: str) -> None:
        (self.folder / "code").write_text(digits + "\n")

    def fail(self, state: str) -> None:
        (self.folder / "state").write_text(state)

    def calls(self) -> list[str]:
        path = self.folder / "calls"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def ykman(tmp_path):
    return StandIn(tmp_path / "ykman-bin")


def aws_account(user) -> str:
    """The name AWS gives the user's virtual device in an authenticator app."""
    return f"Amazon Web Services:{user['name']}@{ACCOUNT}"


@pytest.fixture
def keyed(home, alfred, user, ykman):
    """dev with its device's secret on the YubiKey, and the workflow pointed at ykman."""
    write_aws(home, *dev_files(user))
    ykman.accounts = ["GitHub:octocat", aws_account(user), "Google:someone@example.com"]
    alfred.config["ykman_path"] = str(ykman.path)
    return alfred


def session_section(home) -> dict[str, str]:
    """[dev_mfa] of the credentials file; compare its keys, never show its values."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(home / ".aws/credentials")
    return dict(parser["dev_mfa"]) if parser.has_section("dev_mfa") else {}


def yubikey_items(alfred, typed="dev "):
    return [i for i in alfred.items(typed) if i["title"] == TITLE]


def press(alfred, code=None, ykman=None):
    """Type ``mfa dev `` and press Enter on the YubiKey item, the key set to give ``code``."""
    (item,) = yubikey_items(alfred)
    if code is not None:
        ykman.code = code
    return alfred.enter(item)


# -- in Alfred ----------------------------------------------------------------


def test_profile_and_space_offers_the_yubikey_when_an_account_fits(keyed, user):
    items = keyed.items("dev ")

    assert [i["title"] for i in items] == ["Type the 6-digit MFA code for dev", TITLE]
    offer = items[1]
    assert offer["valid"] is True
    assert offer["subtitle"] == f"{aws_account(user)} · touch the key if it blinks"
    assert json.loads(offer["arg"]) == {
        "action": "yubikey",
        "profile": "dev",
        "serial": user["serials"][0],
    }

    # Not while a code is typed, and not for a profile no account fits.
    assert yubikey_items(keyed, "dev 123") == []
    assert yubikey_items(keyed, "prod ") == []


@pytest.mark.parametrize(
    "names",
    [
        ["Amazon Web Services:someone@210987654321"],
        ["Amazon Web Services:a@123456789012", "Amazon Web Services:b@123456789012"],
        ["Other Issuer:user@123456789012"],
        [],
    ],
    ids=["other-account", "two-users", "other-issuer", "empty"],
)
def test_no_item_when_no_account_fits(home, alfred, user, ykman, names):
    write_aws(home, *dev_files(user))
    ykman.accounts = names
    alfred.config["ykman_path"] = str(ykman.path)

    assert [i["title"] for i in alfred.items("dev ")] == ["Type the 6-digit MFA code for dev"]


def test_the_configured_account_wins(home, alfred, user, ykman):
    write_aws(home, *dev_files(user))
    ykman.accounts = [aws_account(user), "Work:dev-key"]
    alfred.config["ykman_path"] = str(ykman.path)
    alfred.config["yubikey_accounts"] = "# mine\nprod = Work:prod-key\n\ndev = Work:dev-key\n"

    (item,) = yubikey_items(alfred)

    assert item["subtitle"].startswith("Work:dev-key · ")


def test_enter_gets_the_code_from_the_key_and_logs_in(keyed, home, ykman, user):
    first = press(keyed, "318274", ykman)

    ((title, text),) = first.notifications
    assert title.startswith("dev_mfa ready until ") and title.endswith(" (12 h)")
    assert "Its expiry is on the clipboard." in text
    session = session_section(home)
    assert sorted(session) == [
        "afwf_mfa_base",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "expiration",
    ]
    assert first.clipboard == [session["expiration"]]
    assert "[profile dev_mfa]" in (home / ".aws/config").read_text()
    assert ykman.calls() == ["accounts list", "accounts code"]

    # The next login takes the key's next code; the same code again is refused.
    second = press(keyed, "604519", ykman)
    assert second.notifications[0][0].startswith("dev_mfa ready until ")
    before = snapshot(home)
    third = press(keyed, "604519", ykman)
    ((title, text),) = third.notifications
    assert title == "No MFA session for dev"
    assert text.startswith("That code was just used")
    assert snapshot(home) == before
    assert ykman.calls() == ["accounts list"] + ["accounts code"] * 3


@pytest.mark.parametrize(
    ("state", "text"),
    [
        ("no-key", "No YubiKey is plugged in. Insert your YubiKey and try again."),
        ("untouched", "The YubiKey was not touched in time. "),
        ("broken", "YubiKey Manager failed: Failed to connect to YubiKey. "),
        ("locked", "The YubiKey's OATH accounts are protected by a password. "),
    ],
)
def test_a_failure_says_what_to_do_and_changes_nothing(keyed, home, ykman, state, text):
    (item,) = yubikey_items(keyed)
    before = snapshot(home)
    ykman.fail(state)

    outputs = keyed.enter(item)

    ((title, said),) = outputs.notifications
    assert title == "No MFA session for dev"
    assert said.startswith(text)
    assert outputs.clipboard == []
    assert snapshot(home) == before


def test_an_account_gone_from_the_key_is_named_and_the_list_read_again(keyed, home, ykman, user):
    (item,) = yubikey_items(keyed)
    before = snapshot(home)
    ykman.accounts = ["GitHub:octocat"]

    outputs = keyed.enter(item)

    assert outputs.notifications[0][1].startswith(
        f"The YubiKey has no OATH account named {aws_account(user)}."
    )
    assert snapshot(home) == before
    assert not (keyed.cache_dir / yubikey.CACHE_NAME).exists()
    assert yubikey_items(keyed) == []


def test_without_ykman_nothing_changes(home, alfred, user):
    homebrew = [os.path.dirname(p) for p in yubikey.KNOWN_PLACES]
    if shutil.which("ykman", path=os.pathsep.join([*homebrew, ALFRED_PATH])):
        pytest.skip("ykman is installed here")
    write_aws(home, *dev_files(user))

    items = alfred.items("dev ")

    assert [i["title"] for i in items] == ["Type the 6-digit MFA code for dev"]
    assert not (alfred.cache_dir / yubikey.CACHE_NAME).exists()

    # Asked anyway (an item from before ykman was removed), it says what is missing.
    arg = json.dumps({"action": "yubikey", "profile": "dev", "serial": user["serials"][0]})
    outputs = alfred.enter({"arg": arg})
    assert outputs.notifications == [
        (
            "No MFA session for dev",
            "YubiKey Manager (ykman) was not found. "
            "Install it with 'brew install ykman', or set its path in the configuration.",
        )
    ]


def test_a_bad_ykman_setting_names_the_setting(home, alfred, user, tmp_path):
    write_aws(home, *dev_files(user))
    not_a_program = tmp_path / "ykman.txt"
    not_a_program.write_text("")

    alfred.config["ykman_path"] = str(not_a_program)
    (item,) = alfred.items("dev ")
    alfred.config["ykman_path"] = ""
    alfred.config["yubikey_accounts"] = "dev = Work:dev\nprod Work:prod\n"
    (lines,) = alfred.items("dev ")

    assert item["title"] == (
        f"The YubiKey Manager setting names {not_a_program}, which is not an executable file."
    )
    assert lines["title"] == "Line 2 of the YubiKey accounts setting is not 'profile = account'."


def test_the_account_list_is_cached_for_a_minute(keyed, ykman):
    for _ in range(3):
        assert len(yubikey_items(keyed)) == 1
    assert ykman.calls() == ["accounts list"]

    cache = keyed.cache_dir / yubikey.CACHE_NAME
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    data = json.loads(cache.read_text())
    data["at"] = time.time() - yubikey.CACHE_SECONDS - 1
    cache.write_text(json.dumps(data))

    assert len(yubikey_items(keyed)) == 1
    assert ykman.calls() == ["accounts list"] * 2


def test_a_failed_listing_is_not_repeated_on_the_next_keystrokes(keyed, ykman):
    ykman.fail("no-key")

    assert yubikey_items(keyed) == []
    assert yubikey_items(keyed) == []

    assert ykman.calls() == ["accounts list"]


def test_no_code_shows_in_items_notifications_the_log_or_stderr(keyed, home, ykman, user):
    keyed.config["alfred_debug"] = "1"
    codes = ["582047", "930716"]

    typed = [keyed.items(q) for q in ("", "dev ", "dev 5")]
    good = press(keyed, codes[0], ykman)
    reused = press(keyed, codes[0], ykman)
    ykman.code = codes[1]
    ykman.fail("untouched")
    failed = press(keyed)

    assert good.notifications[0][0].startswith("dev_mfa ready until")
    assert reused.notifications[0][1].startswith("That code was just used")
    log = (keyed.cache_dir / "afwf_mfa.log").read_text()
    assert "asking the YubiKey for a code" in log
    seen = "\n".join(
        [log, json.dumps(typed), (keyed.cache_dir / yubikey.CACHE_NAME).read_text()]
        + [text for o in (good, reused, failed) for text in o.stderr + o.clipboard]
        + [text for o in (good, reused, failed) for pair in o.notifications for text in pair]
    )
    # Which code leaked, by its place in the list: test output shows no code either.
    assert [n for n, code in enumerate(codes) if code in seen] == []


# -- in-process: finding ykman, picking the account, the timeout ----------------


def load_settings(tmp_path, **values) -> settings_module.Settings:
    env = {
        "alfred_workflow_cache": str(tmp_path / "cache"),
        "alfred_workflow_data": str(tmp_path / "data"),
        **values,
    }
    return settings_module.load(env)


def test_ykman_is_found_in_homebrew_places_then_on_the_path(tmp_path, monkeypatch):
    settings = load_settings(tmp_path)
    brew, on_path, empty = (tmp_path / n for n in ("brew", "bin", "empty"))
    for folder in (brew, on_path, empty):
        folder.mkdir()
    (empty / "ykman").write_text("not executable")
    (on_path / "ykman").write_text("#!/bin/sh\n")
    (on_path / "ykman").chmod(0o755)
    monkeypatch.setattr(yubikey, "KNOWN_PLACES", (str(brew / "ykman"),))
    monkeypatch.setenv("PATH", os.pathsep.join([str(empty), "", str(on_path)]))

    assert yubikey.find_ykman(settings) == on_path / "ykman"

    (brew / "ykman").write_text("#!/bin/sh\n")
    (brew / "ykman").chmod(0o755)
    assert yubikey.find_ykman(settings) == brew / "ykman"

    configured = load_settings(tmp_path, ykman_path=str(on_path / "ykman"))
    assert yubikey.find_ykman(configured) == on_path / "ykman"

    monkeypatch.setattr(yubikey, "KNOWN_PLACES", ())
    monkeypatch.setenv("PATH", str(empty))
    assert yubikey.find_ykman(settings) is None
    assert yubikey.find(settings) is None
    with pytest.raises(YkmanMissing):
        yubikey.code_for(settings, "dev", f"arn:aws:iam::{ACCOUNT}:mfa/alice")


def test_a_configured_ykman_must_be_an_executable_file(tmp_path):
    with pytest.raises(SettingsError, match="YubiKey Manager setting"):
        load_settings(tmp_path, ykman_path=str(tmp_path))
    with pytest.raises(SettingsError, match="YubiKey accounts setting"):
        load_settings(tmp_path, yubikey_accounts="dev =")


@pytest.mark.parametrize(
    ("names", "serial", "hint", "expected"),
    [
        # The only AWS account of the device's account, whatever its user.
        (["GitHub:me", "Amazon Web Services:bob@123456789012"], "mfa/alice", None, 1),
        # Several: the one whose user is the device's name, or the hint.
        (
            [
                "Amazon Web Services:bob@123456789012",
                "Amazon Web Services:alice@123456789012",
            ],
            "mfa/alice",
            None,
            1,
        ),
        (
            [
                "Amazon Web Services:bob@123456789012",
                "Amazon Web Services:alice@123456789012",
            ],
            "mfa/phone",
            "bob",
            0,
        ),
        # A device in a path, named like its user.
        (
            ["Amazon Web Services:carol@123456789012", "Amazon Web Services:x@123456789012"],
            "mfa/team/carol",
            None,
            0,
        ),
        # Nothing to go by, or nothing that fits.
        (
            ["Amazon Web Services:bob@123456789012", "Amazon Web Services:x@123456789012"],
            "mfa/alice",
            None,
            None,
        ),
        (["Amazon Web Services:alice@210987654321"], "mfa/alice", None, None),
        (["Amazon Web Services:@123456789012"], "mfa/alice", None, None),
        (["Amazon Web Services:alice@123456789012"], None, None, None),
    ],
)
def test_the_account_for_a_device(tmp_path, ykman, names, serial, hint, expected):
    ykman.accounts = names
    key = yubikey.find(load_settings(tmp_path, ykman_path=str(ykman.path)))
    arn = f"arn:aws:iam::{ACCOUNT}:{serial}" if serial else None

    account = key.account_for("dev", arn, hint)

    assert account == (None if expected is None else names[expected])


def test_the_configured_account_must_be_on_the_key(tmp_path, ykman):
    ykman.accounts = ["Amazon Web Services:alice@123456789012", "Work:Dev"]
    settings = load_settings(
        tmp_path, ykman_path=str(ykman.path), yubikey_accounts="dev = work:dev\nqa = Work:QA"
    )
    key = yubikey.find(settings)
    arn = f"arn:aws:iam::{ACCOUNT}:mfa/alice"

    assert key.account_for("dev", arn) == "Work:Dev"
    assert key.account_for("qa", arn) is None
    assert key.account_for("other", arn) == "Amazon Web Services:alice@123456789012"
    with pytest.raises(NoOathAccount, match="no OATH account named Work:QA"):
        yubikey.code_for(settings, "qa", arn)


def test_a_key_that_is_never_touched_is_given_up_on(tmp_path, ykman, monkeypatch):
    monkeypatch.setattr(yubikey, "CODE_TIMEOUT", 0.5)
    ykman.accounts = ["Work:dev"]
    ykman.code = "771204"
    ykman.fail("hang")
    key = yubikey.find(load_settings(tmp_path, ykman_path=str(ykman.path)))

    started = time.monotonic()
    with pytest.raises(TouchTimeout) as caught:
        key.code("Work:dev")

    assert time.monotonic() - started < 5
    leaked = "771204" in str(caught.value)
    assert not leaked


def test_ykman_messages_are_passed_on_without_anything_like_a_code():
    error = yubikey._failure("Touch your YubiKey...\nERROR: Unexpected answer 123456 78\n")

    assert isinstance(error, MfaError)
    assert error.message == "YubiKey Manager failed: Unexpected answer ****** 78"


def test_output_that_is_not_a_code_is_refused_unseen(tmp_path, ykman):
    ykman.accounts = ["Work:dev"]
    ykman.code = "12345678"
    key = yubikey.find(load_settings(tmp_path, ykman_path=str(ykman.path)))

    with pytest.raises(MfaError) as caught:
        key.code("Work:dev")

    leaked = "12345678" in str(caught.value)
    assert not leaked
    assert caught.value.message == "The YubiKey account Work:dev did not give a 6-digit code."
