"""Modifier keys on a profile: copy, export, make default, sign out; and account IDs."""

import datetime as dt

import botocore.session
import pytest
from conftest import dev_files, snapshot, write_aws
from test_login import login

from afwf_mfa.profiles import account_from_key


def _dev(alfred):
    return [i for i in alfred.items("") if i["title"] == "dev"][0]


@pytest.fixture
def signed_in(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)
    before = snapshot(home)
    outputs = login(alfred)
    return before, outputs


def test_cmd_c_and_cmd_l_show_the_expiry(signed_in, alfred):
    _, outputs = signed_in

    item = _dev(alfred)

    assert item["text"]["copy"] == outputs.clipboard[0]
    assert item["text"]["largetype"].startswith("dev_mfa valid until ")


def test_cmd_enter_copies_the_export_line(signed_in, alfred):
    outputs = alfred.enter(_dev(alfred), "cmd")

    assert outputs.clipboard == ["export AWS_PROFILE=dev_mfa"]


def test_without_a_live_session_the_modifiers_say_so(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    item = _dev(alfred)

    assert item["mods"]["cmd"] == {"valid": False, "subtitle": "dev has no live MFA session"}
    assert item["mods"]["shift"]["valid"] is False
    assert item["mods"]["ctrl"]["valid"] is False
    assert "text" not in item


def test_shift_enter_makes_the_session_the_default_when_default_has_no_keys(
    home, alfred, user, monkeypatch
):
    config, credentials = dev_files(user)
    write_aws(home, config, "[default]\nregion = us-west-2\n\n" + credentials)
    login(alfred)

    outputs = alfred.enter(_dev(alfred), "shift")

    assert outputs.notifications[0][0] == "dev_mfa is now the default"
    text = (home / ".aws/credentials").read_text()
    assert text.startswith("[default]\naws_access_key_id = ")
    assert "region = us-west-2\n\n" + credentials in text
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws/credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws/config"))
    default = botocore.session.Session(profile="default").get_credentials()
    session = botocore.session.Session(profile="dev_mfa").get_credentials()
    assert default.token == session.token and default.access_key == session.access_key
    assert _dev(alfred)["subtitle"].endswith(" · the default")


def test_shift_enter_never_overwrites_long_term_keys_in_default(home, alfred, user):
    config, credentials = dev_files(user)
    own = "[default]\naws_access_key_id = AKIAOWNOWNOWNOWNOWN1\naws_secret_access_key = own\n"
    write_aws(home, config, own + credentials)
    login(alfred)
    before = snapshot(home)

    outputs = alfred.enter(_dev(alfred), "shift")

    assert snapshot(home) == before
    assert outputs.notifications[0][0] == "dev was not made the default"
    assert "holds keys of your own" in outputs.notifications[0][1]
    assert "export AWS_PROFILE=dev_mfa" in outputs.notifications[0][1]


def test_shift_enter_reports_a_default_that_outranks_keys(home, alfred, user):
    config, credentials = dev_files(user)
    config = config.replace(
        "[default]\nregion = us-west-2\n",
        "[default]\nregion = us-west-2\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = dev\n",
    )
    write_aws(home, config, credentials.replace("[dev]", "[dev]"))
    login(alfred)
    before = snapshot(home)

    outputs = alfred.enter(_dev(alfred), "shift")

    assert "assumes a role" in outputs.notifications[0][1]
    assert snapshot(home) == before


def test_ctrl_enter_signs_out_and_leaves_the_files_as_they_were(signed_in, home, alfred):
    before, _ = signed_in

    outputs = alfred.enter(_dev(alfred), "ctrl")

    assert outputs.notifications[0][0] == "Signed out of dev_mfa"
    assert snapshot(home) == before
    assert _dev(alfred)["subtitle"].endswith("no MFA session yet")


def test_ctrl_enter_clears_an_expired_session_and_its_default(home, alfred):
    expired = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).isoformat()
    session = (
        "aws_access_key_id = ASIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n"
        f"aws_session_token = t\nexpiration = {expired}\nafwf_mfa_base = dev\n"
    )
    keys = "[dev]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n"
    write_aws(
        home,
        config="[profile dev]\nregion = eu-west-1\n",
        credentials=f"[default]\nregion = x\n{session}\n{keys}\n[dev_mfa]\n{session}",
    )

    alfred.enter(_dev(alfred), "ctrl")

    assert (home / ".aws/credentials").read_text() == f"[default]\nregion = x\n\n{keys}"


def test_a_guessed_account_a_login_proves_wrong_is_not_shown_again(home, fault_sts, faulty_alfred):
    key = "AKIAQNZGKIQY56JQ7WML"
    write_aws(
        home,
        config="[profile dev]\nregion = eu-west-1\n",
        credentials=f"[dev]\naws_access_key_id = {key}\naws_secret_access_key = s\n",
    )
    fault_sts.behaviour = {"kind": "session", "seconds": 3600, "account": "210987654321"}

    before = _dev(faulty_alfred)["subtitle"]
    login(faulty_alfred)
    after = _dev(faulty_alfred)["subtitle"]

    assert before == "eu-west-1 · 029608264753 (guess) · no MFA session yet"
    assert fault_sts.actions == ["GetCallerIdentity", "ListMFADevices", "GetSessionToken"]
    assert after.startswith("eu-west-1 · 210987654321 · dev_mfa valid ")


def test_the_account_of_a_known_device_is_shown_without_a_call(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    assert " · 123456789012 · no MFA session yet" in _dev(alfred)["subtitle"]


def test_account_decoding_matches_the_documented_example():
    assert account_from_key("ASIAQNZGKIQY56JQ7WML") == "029608264753"


def test_signing_out_takes_back_a_default_section_shift_enter_made(signed_in, home, alfred):
    before, _ = signed_in
    alfred.enter(_dev(alfred), "shift")

    alfred.enter(_dev(alfred), "ctrl")

    assert snapshot(home) == before


def test_a_key_that_cannot_encode_an_account_shows_no_guess():
    assert account_from_key("AKIAPRODPRODPRODPROD") is None
