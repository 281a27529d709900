"""Role profiles: listed under their source, and signed into through the MFA session."""

import json
import subprocess

from conftest import dev_files, snapshot, write_aws
from test_login import aws_cli, login

ROLE = (
    "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/team/admin\n"
    "source_profile = dev\nmfa_serial = {serial}\nregion = eu-west-1\n"
    "role_session_name = alice\nduration_seconds = 3600\nexternal_id = shared-secret-id\n"
)


def _files(home, user, roles=ROLE):
    config, credentials = dev_files(user)
    config += "\n" + roles.format(serial=user["serials"][0])
    write_aws(home, config, credentials)
    return config


def test_role_profiles_are_listed_under_their_source(home, alfred, user):
    _files(home, user)

    items = alfred.items("")

    assert [i["title"] for i in items] == ["default", "dev", "admin", "prod"]
    admin = items[2]
    assert admin["subtitle"] == "Role admin in 123456789012 · sign in to dev first"
    assert admin["autocomplete"] == "dev "


def test_a_login_writes_a_role_copy_the_aws_cli_assumes_without_a_prompt(
    home, alfred, user, local_sts
):
    config = _files(home, user)

    outputs = login(alfred)

    assert "Roles without a code: admin_mfa." in outputs.notifications[0][1]
    text = (home / ".aws/config").read_text()
    assert text.startswith(config), "the role profile itself is never edited"
    copy = text.split("[profile admin_mfa]\n")[1].split("\n\n")[0]
    assert copy.splitlines() == [
        "role_arn = arn:aws:iam::123456789012:role/team/admin",
        "source_profile = dev_mfa",
        "region = eu-west-1",
        "role_session_name = alice",
        "duration_seconds = 3600",
        "external_id = shared-secret-id",
        "afwf_mfa_base = admin",
    ]
    identity = json.loads(
        aws_cli(home, local_sts, "sts", "get-caller-identity", "--profile", "admin_mfa")
    )
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/admin/alice"
    subtitle = [i for i in alfred.items("") if i["title"] == "admin"][0]["subtitle"]
    assert subtitle == "Role admin in 123456789012 · use admin_mfa, no code needed"


def test_the_original_role_profile_still_asks_for_a_code(home, alfred, user, local_sts):
    _files(home, user)
    login(alfred)

    try:
        aws_cli(home, local_sts, "sts", "get-caller-identity", "--profile", "admin")
        prompted = False
    except subprocess.CalledProcessError as exc:
        prompted = "MFA" in exc.stderr or "mfa" in exc.stderr.lower()

    assert prompted


def test_role_copies_can_be_turned_off(home, alfred, user):
    _files(home, user)
    alfred.config["role_profiles"] = "0"

    login(alfred)

    assert "admin_mfa" not in (home / ".aws/config").read_text()


def test_a_role_copy_this_workflow_did_not_write_is_left_alone(home, alfred, user):
    config = _files(home, user, ROLE + "\n[profile admin_mfa]\nregion = us-east-1\n")

    outputs = login(alfred)

    assert "Left alone, not written here: admin_mfa." in outputs.notifications[0][1]
    assert (home / ".aws/config").read_text().startswith(config)
    assert (home / ".aws/config").read_text().count("[profile admin_mfa]") == 1


def test_alt_enter_on_a_role_opens_the_console_switch_role_page(home, alfred, user):
    _files(home, user)
    before = snapshot(home)
    admin = [i for i in alfred.items("") if i["title"] == "admin"][0]

    outputs = alfred.enter(admin, "alt")

    assert outputs.opened == [
        "https://signin.aws.amazon.com/switchrole?account=123456789012&roleName=admin"
        "&displayName=admin"
    ]
    assert snapshot(home) == before


def test_roles_chained_or_without_a_source_are_listed_and_say_why(home, alfred, user):
    _files(
        home,
        user,
        ROLE
        + "[profile deep]\nrole_arn = arn:aws:iam::123456789012:role/deep\n"
        + "source_profile = admin\n"
        + "[profile lost]\nrole_arn = arn:aws:iam::123456789012:role/lost\n"
        + "source_profile = gone\n",
    )

    items = {i["title"]: i["subtitle"] for i in alfred.items("")}

    assert list(items) == ["default", "dev", "admin", "deep", "prod", "lost"]
    assert items["lost"].endswith("its source profile gone does not exist")
