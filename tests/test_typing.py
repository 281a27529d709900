"""``mfa <profile> <code>``: what each keystroke of a code shows."""

import json

import pytest
from conftest import dev_files, write_aws

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
KEYS = "aws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n"


@pytest.fixture
def files(home):
    write_aws(
        home,
        config=f"[profile dev]\nregion = eu-central-1\nmfa_serial = {SERIAL}\n"
        "[profile devops]\nregion = us-east-1\n",
        credentials=f"[dev]\n{KEYS}[devops]\n{KEYS}[my team]\n{KEYS}[team]\n{KEYS}",
    )


def _actionable(items):
    return [i for i in items if i.get("valid", True)]


def test_profile_and_space_asks_for_the_code_and_names_the_device(files, alfred):
    items = alfred.items("dev ")

    assert len(items) == 1
    assert items[0]["title"] == "Type the 6-digit MFA code for dev"
    assert SERIAL in items[0]["subtitle"]
    assert not _actionable(items)


def test_without_mfa_serial_says_the_device_will_be_looked_up(files, alfred):
    items = alfred.items("devops ")

    assert items[0]["subtitle"].startswith("The MFA device will be looked up with devops's keys")


def test_partial_code_says_how_many_digits_are_missing(files, alfred):
    assert alfred.items("dev 123")[0]["title"] == "3 more digits to go"
    assert alfred.items("dev 12345")[0]["title"] == "1 more digit to go"
    assert not _actionable(alfred.items("dev 123"))


@pytest.mark.parametrize("typed", ["dev 123456", "dev 123 456", "Dev 123456", "dev 123456 "])
def test_full_code_gives_exactly_one_actionable_item(files, alfred, typed):
    items = alfred.items(typed)

    assert len(_actionable(items)) == 1
    assert items[0]["title"] == "Get a 12 h session for dev"
    assert json.loads(items[0]["arg"]) == {
        "action": "login",
        "profile": "dev",
        "code": "123456",
        "serial": SERIAL,
    }


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("dev 12a456", "The code is 6 digits, with no letters or signs"),
        ("dev 1234567", "That is 7 digits; MFA codes have 6"),
        ("dev ١٢٣٤٥٦", "Type the code with the digits 0 to 9"),
        ("dev 12 34 56", "Only one space may split the code, as in 123 456"),
    ],
)
def test_bad_codes_say_why_and_are_not_actionable(files, alfred, typed, title):
    items = alfred.items(typed)

    assert [i["title"] for i in items] == [title]
    assert not _actionable(items)


def test_unknown_profile_with_a_code_says_so(files, alfred):
    items = alfred.items("nope 123456")

    assert items[0]["title"] == "There is no profile named 'nope'"
    assert not _actionable(items)
    assert "123456" not in json.dumps(items)


def test_names_with_spaces_and_names_that_prefix_others(files, alfred):
    assert json.loads(alfred.items("my team 123456")[0]["arg"])["profile"] == "my team"
    assert json.loads(alfred.items("team 123456")[0]["arg"])["profile"] == "team"
    assert json.loads(alfred.items("devops 123456")[0]["arg"])["profile"] == "devops"


def test_session_length_follows_the_configuration(files, alfred):
    alfred.config["session_duration"] = "3600"

    assert alfred.items("dev 123456")[0]["title"] == "Get a 1 h session for dev"


def test_bad_session_length_setting_says_which_setting(files, alfred):
    alfred.config["session_duration"] = "60"

    items = alfred.items("dev 123456")

    assert "session length" in items[0]["title"]
    assert not _actionable(items)


def test_session_profile_written_by_someone_else_blocks_the_login(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials + "[dev_mfa]\n" + KEYS)

    items = alfred.items("dev 123456")

    assert items[0]["title"] == "dev_mfa was not written by this workflow, so it is left alone"
    assert not _actionable(items)


def test_role_profile_cannot_sign_in(home, alfred):
    write_aws(
        home,
        config="[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/a\n"
        "source_profile = dev\n",
        credentials=f"[dev]\n{KEYS}",
    )

    items = alfred.items("admin 123456")

    assert items[0]["title"] == "admin can't sign in with MFA"
    assert not _actionable(items)


def test_the_exact_spelling_wins_over_another_case(home, alfred):
    write_aws(home, credentials=f"[Prod]\n{KEYS}[prod]\n{KEYS}")

    assert alfred.items("prod ")[0]["title"] == "Type the 6-digit MFA code for prod"
    assert alfred.items("Prod ")[0]["title"] == "Type the 6-digit MFA code for Prod"
    assert json.loads(alfred.items("prod 123456")[0]["arg"])["profile"] == "prod"


def test_a_foreign_config_section_blocks_while_typing(home, alfred):
    write_aws(
        home,
        config="[profile dev_mfa]\nregion = us-east-1\n",
        credentials=f"[dev]\n{KEYS}[dev_mfa]\naws_access_key_id = ASIAEXAMPLEEXAMPLE1\n"
        "aws_secret_access_key = s\naws_session_token = t\nafwf_mfa_base = dev\n",
    )

    items = alfred.items("dev 123456")

    assert items[0]["title"] == "dev_mfa was not written by this workflow, so it is left alone"
    assert "~/.aws/config" in items[0]["subtitle"]
    assert not _actionable(items)


def test_a_code_without_a_profile_asks_for_the_profile(files, alfred):
    assert alfred.items("123456")[0]["title"] == "Type the profile before the code"


def test_a_key_id_without_its_secret_says_so(home, alfred):
    write_aws(home, credentials="[half]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\n")

    assert "no secret access key" in alfred.items("half 123456")[0]["subtitle"]
