"""Enter on ``mfa dev 123456``: a session from the local STS, written for the AWS CLI."""

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from conftest import dev_files, snapshot, write_aws


def login(alfred, typed="dev 123456"):
    items = [i for i in alfred.items(typed) if i.get("valid", True)]
    assert len(items) == 1, items
    return alfred.enter(items[0])


def aws_cli(home, local_sts, *args):
    """The real AWS CLI, as a user's terminal would run it."""
    env = {
        "HOME": str(home),
        "PATH": os.environ["PATH"],
        "AWS_EC2_METADATA_DISABLED": "true",
        **local_sts.endpoint_env(),
    }
    aws = Path(sys.executable).with_name("aws")
    return subprocess.run(
        [str(aws), *args], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout


def resolved(home, profile, monkeypatch):
    """What botocore resolves ``profile`` to, and by which method."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws/config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws/credentials"))
    for variable in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(variable, raising=False)
    creds = botocore.session.Session(profile=profile).get_credentials()
    return creds.method, creds.get_frozen_credentials()


def expected_session(local_sts, user):
    """The session the local STS hands out (moto returns the same one each time)."""
    sts = local_sts.client("sts", user["key"], user["secret"])
    return sts.get_session_token(SerialNumber=user["serials"][0], TokenCode="123456")[
        "Credentials"
    ]


def test_login_with_mfa_serial_writes_a_profile_the_aws_cli_uses(
    home, alfred, user, local_sts, monkeypatch
):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    outputs = login(alfred)

    # What the user is told, and what lands on the clipboard.
    ((title, text),) = outputs.notifications
    assert title.startswith("dev_mfa ready until ") and title.endswith(" (12 h)")
    expiry = dt.datetime.fromisoformat(outputs.clipboard[0])
    assert expiry.utcoffset() is not None
    left = expiry - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=11, minutes=58) < left <= dt.timedelta(hours=12)

    # The files: the session appended, everything else as it was.
    written = (home / ".aws/credentials").read_text()
    assert written.startswith(credentials)
    assert (home / ".aws/config").read_text().startswith(config)
    assert (
        "[profile dev_mfa]\nregion = eu-central-1\noutput = json\n"
        in (home / ".aws/config").read_text()
    )
    assert stat.S_IMODE((home / ".aws/credentials").stat().st_mode) == 0o600

    # botocore resolves dev_mfa to exactly what STS returned, from the file.
    method, creds = resolved(home, "dev_mfa", monkeypatch)
    session = expected_session(local_sts, user)
    assert method == "shared-credentials-file"
    assert (creds.access_key, creds.secret_key, creds.token) == (
        session["AccessKeyId"],
        session["SecretAccessKey"],
        session["SessionToken"],
    )
    assert f"expiration = {outputs.clipboard[0]}" in written

    # And the real AWS CLI accepts the profile.
    identity = json.loads(
        aws_cli(home, local_sts, "sts", "get-caller-identity", "--profile", "dev_mfa")
    )
    assert identity["Account"] == "123456789012"
    assert (
        aws_cli(home, local_sts, "configure", "get", "region", "--profile", "dev_mfa").strip()
        == "eu-central-1"
    )

    # The list shows the live session.
    state = alfred.items("")[1]
    assert state["title"] == "dev"
    assert state["subtitle"].startswith("eu-central-1 · 123456789012 · dev_mfa valid 11 h 5")


def test_login_without_mfa_serial_finds_and_remembers_the_device(home, alfred, user):
    config, credentials = dev_files(user, serial=False)
    write_aws(home, config, credentials)

    first = login(alfred)

    assert first.notifications[0][0].startswith("dev_mfa ready until")
    assert user["serials"][0] in alfred.items("dev ")[0]["subtitle"]

    # The second login needs no IAM call: IAM is now unreachable.
    alfred.extra_env["AWS_ENDPOINT_URL_IAM"] = "http://127.0.0.1:9"
    second = login(alfred, "dev 654321")

    assert second.notifications[0][0].startswith("dev_mfa ready until")


def test_several_devices_are_offered_as_items_to_choose_from(home, alfred, local_sts):
    user = local_sts.create_user("two-devices", devices=2)
    config, credentials = dev_files(user, serial=False)
    write_aws(home, config, credentials)
    before = snapshot(home)

    outputs = login(alfred)

    assert outputs.reopened == ["dev 123456"]
    assert outputs.clipboard == []
    assert snapshot(home) == before
    items = alfred.items(outputs.reopened[0])
    assert [i["valid"] for i in items] == [True, True]
    assert [json.loads(i["arg"])["serial"] for i in items] == user["serials"]

    chosen = alfred.enter(items[1])

    assert chosen.notifications[0][0].startswith("dev_mfa ready until")
    assert user["serials"][1] in alfred.items("dev ")[0]["subtitle"]


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
@pytest.mark.parametrize("value", ["missing", "dev_mfa", "prod"])
def test_aws_profile_variables_change_nothing(home, alfred, user, variable, value):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)
    alfred.extra_env[variable] = value

    outputs = login(alfred)

    assert outputs.notifications[0][0].startswith("dev_mfa ready until")


def test_second_login_replaces_its_own_session_and_drops_stale_keys(home, alfred, user):
    config, credentials = dev_files(user)
    stale = (
        "[dev_mfa]\naws_access_key_id = ASIAOLDOLDOLDOLDOLD1\naws_secret_access_key = old\n"
        "aws_security_token = stale\n# my note\nexpiration = 2020-01-01T00:00:00+00:00\n"
        "afwf_mfa_base = dev\n\n"
    )
    tail = "[zeta]\naws_access_key_id = AKIAZETAZETAZETAZETA\naws_secret_access_key = z\n"
    write_aws(home, config, credentials + "\n" + stale + tail)

    login(alfred)

    text = (home / ".aws/credentials").read_text()
    assert "aws_security_token" not in text
    assert "ASIAOLD" not in text
    assert text.startswith(credentials + "\n[dev_mfa]\n")
    assert text.endswith("# my note\n\n" + tail)
    assert text.count("[dev_mfa]") == 1


def test_crlf_and_missing_final_newline_are_kept(home, alfred, user):
    config, credentials = dev_files(user)
    config = config.replace("\n", "\r\n").rstrip("\r\n")
    credentials = credentials.replace("\n", "\r\n").rstrip("\r\n")
    write_aws(home, config, credentials)

    login(alfred)

    creds = (home / ".aws/credentials").read_bytes()
    assert creds.startswith(credentials.encode() + b"\r\n")
    assert b"\r\n[dev_mfa]\r\naws_access_key_id = " in creds
    assert creds.count(b"\n") == creds.count(b"\r\n")
    assert not creds.endswith(b"\n")
    assert (home / ".aws/config").read_bytes().startswith(config.encode() + b"\r\n")


def test_symlinked_credentials_stay_a_symlink(home, alfred, user):
    config, credentials = dev_files(user)
    real = home / "dotfiles/aws-credentials"
    real.parent.mkdir()
    real.write_text(credentials)
    (home / ".aws/credentials").symlink_to(real)
    write_aws(home, config)

    login(alfred)

    assert (home / ".aws/credentials").is_symlink()
    assert "[dev_mfa]" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_keys_in_config_only_work_and_new_credentials_file_is_private(home, alfred, user):
    config = (
        f"[profile dev]\nregion = us-east-2\nmfa_serial = {user['serials'][0]}\n"
        f"aws_access_key_id = {user['key']}\naws_secret_access_key = {user['secret']}\n"
    )
    write_aws(home, config)

    login(alfred)

    assert stat.S_IMODE((home / ".aws/credentials").stat().st_mode) == 0o600
    assert (home / ".aws/credentials").read_text().startswith("[dev_mfa]\n")
    assert (home / ".aws/config").read_text().startswith(config)


def test_foreign_session_profile_is_left_alone(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config + "[profile dev_mfa]\nregion = us-east-1\n", credentials)
    before = snapshot(home)

    outputs = alfred.enter(
        {"arg": json.dumps({"profile": "dev", "code": "123456", "serial": None})}
    )

    assert snapshot(home) == before
    assert outputs.clipboard == []
    assert "was not written by this workflow" in outputs.notifications[0][1]


def test_hotkey_opens_alfred_on_the_last_profile(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    assert alfred.hotkey().reopened == [""]

    login(alfred)

    assert alfred.hotkey().reopened == ["dev "]
    assert alfred.items("dev ")[0]["title"] == "Type the 6-digit MFA code for dev"


def test_bad_proxy_or_ca_bundle_settings_say_which_setting(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    alfred.config["https_proxy"] = "proxy:3128"
    proxy = alfred.items("dev 123456")[0]["title"]
    alfred.config["https_proxy"] = ""
    alfred.config["ca_bundle"] = str(home / "missing.pem")
    bundle = alfred.items("dev 123456")[0]["title"]

    assert proxy == "The HTTPS proxy setting 'proxy:3128' is not a URL."
    assert bundle.startswith("The CA bundle setting names ")
