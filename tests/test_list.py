"""``mfa``: the list of profiles, their regions and their sessions' states."""

import datetime as dt

from conftest import write_aws

from afwf_mfa.store import Store


def _subtitles(items):
    return {i["title"]: i.get("subtitle", "") for i in items}


def _session(name, base, expires_in_seconds):
    expiration = (
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=expires_in_seconds)
    ).isoformat()
    return (
        f"[{name}]\naws_access_key_id = ASIAEXAMPLEEXAMPLE01\n"
        "aws_secret_access_key = secretsecretsecretsecretsecretsecret0000\n"
        f"aws_session_token = tokentoken\nexpiration = {expiration}\nafwf_mfa_base = {base}\n"
    )


BASE_KEYS = "aws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n"


def test_lists_every_profile_with_region_and_no_session(home, alfred):
    write_aws(
        home,
        config="[default]\nregion = us-west-2\n[profile dev]\nregion = eu-central-1\n",
        credentials=f"[default]\n{BASE_KEYS}[dev]\n{BASE_KEYS}[keys only]\n{BASE_KEYS}",
    )

    items = alfred.items("")

    assert [i["title"] for i in items] == ["default", "dev", "keys only"]
    assert _subtitles(items) == {
        "default": "us-west-2 · no MFA session yet",
        "dev": "eu-central-1 · no MFA session yet",
        "keys only": "no region · no MFA session yet",
    }
    assert [i["autocomplete"] for i in items] == ["default ", "dev ", "keys only "]
    assert not any(i["valid"] for i in items)


def test_session_profile_shows_as_state_of_its_base(home, alfred):
    write_aws(
        home,
        config="[profile dev]\nregion = eu-central-1\n",
        credentials=f"[dev]\n{BASE_KEYS}" + _session("dev_mfa", "dev", 11 * 3600 + 52 * 60 + 30),
    )

    items = alfred.items("")

    assert [i["title"] for i in items] == ["dev"]
    assert items[0]["subtitle"].startswith("eu-central-1 · dev_mfa valid 11 h 52 min, until ")
    assert items[0]["icon"]["path"] == "icons/valid.png"


def test_expired_and_expiring_sessions(home, alfred):
    write_aws(
        home,
        credentials=f"[old]\n{BASE_KEYS}[soon]\n{BASE_KEYS}"
        + _session("old_mfa", "old", -2 * 3600 - 60)
        + _session("soon_mfa", "soon", 20 * 60 + 30),
    )

    items = {i["title"]: i for i in alfred.items("")}

    assert items["old"]["subtitle"] == "no region · old_mfa expired 2 h 1 min ago"
    assert items["old"]["icon"]["path"] == "icons/expired.png"
    assert items["soon"]["subtitle"].startswith("no region · soon_mfa valid 20 min, until ")
    assert items["soon"]["icon"]["path"] == "icons/expiring.png"


def test_a_session_by_token_is_a_session_whatever_its_name(home, alfred):
    write_aws(
        home,
        credentials=f"[dev]\n{BASE_KEYS}[temp]\naws_access_key_id = AKIAEXAMPLEEXAMPLE02\n"
        "aws_secret_access_key = s\naws_session_token = t\n",
    )

    items = _subtitles(alfred.items(""))

    assert items["temp"] == "Can't sign in with MFA: holds temporary session keys"


def test_profiles_without_static_keys_say_why(home, alfred):
    write_aws(
        home,
        config=(
            "[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\n"
            "sso_role_name = Admin\n"
            "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
            "sso_region = us-east-1\n"
            "[profile proc]\ncredential_process = /usr/local/bin/get-creds\n"
            "[profile web]\nrole_arn = arn:aws:iam::111111111111:role/ci\n"
            "web_identity_token_file = /tmp/token\n"
            "[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/admin\n"
            "source_profile = dev\n"
            "[profile empty]\nregion = us-east-1\n"
            "[services corp]\ns3 =\n  endpoint_url = http://localhost\n"
        ),
        credentials=f"[dev]\n{BASE_KEYS}",
    )

    items = alfred.items("")
    subtitles = _subtitles(items)

    assert list(subtitles) == ["sso", "proc", "web", "empty", "dev", "admin"]
    assert "corp" not in subtitles
    assert "(SSO)" in subtitles["sso"]
    assert "credential_process" in subtitles["proc"]
    assert "web identity" in subtitles["web"]
    assert subtitles["admin"] == "Role admin in 111111111111 · sign in to dev first"
    assert subtitles["empty"] == "Can't sign in with MFA: has no access keys"
    assert not any(i["valid"] for i in items)


def test_profile_default_in_config_and_default_in_credentials_are_one(home, alfred):
    write_aws(
        home,
        config="[profile default]\nregion = ap-south-1\n",
        credentials=f"[default]\n{BASE_KEYS}",
    )

    assert _subtitles(alfred.items("")) == {"default": "ap-south-1 · no MFA session yet"}


def test_profile_prefix_in_credentials_is_part_of_the_name(home, alfred):
    write_aws(home, credentials=f"[profile odd]\n{BASE_KEYS}")

    assert [i["title"] for i in alfred.items("")] == ["profile odd"]


def test_filters_by_prefix_then_substring_ignoring_case(home, alfred):
    names = ["prod-de", "Dev", "devops", "staging"]
    write_aws(home, credentials="".join(f"[{n}]\n{BASE_KEYS}" for n in names))

    assert [i["title"] for i in alfred.items("de")] == ["Dev", "devops", "prod-de"]
    assert [i["title"] for i in alfred.items("DEV")] == ["Dev", "devops"]
    assert alfred.items("zzz")[0]["title"] == "No profile matches 'zzz'"


def test_paths_from_workflow_configuration_and_aws_variables(home, alfred):
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "creds").write_text(f"[from-config]\n{BASE_KEYS}")
    (elsewhere / "creds2").write_text(f"[from-env]\n{BASE_KEYS}")
    write_aws(home, credentials=f"[home]\n{BASE_KEYS}")

    alfred.extra_env["aws_credentials_file"] = str(elsewhere / "creds")
    assert [i["title"] for i in alfred.items("")] == ["from-config"]

    del alfred.extra_env["aws_credentials_file"]
    alfred.extra_env["AWS_SHARED_CREDENTIALS_FILE"] = "$HOME/elsewhere/creds2"
    assert [i["title"] for i in alfred.items("")] == ["from-env"]


def test_no_profiles_at_all_says_how_to_add_one(home, alfred):
    items = alfred.items("")

    assert items[0]["title"] == "No AWS profiles found"
    assert "aws configure" in items[0]["subtitle"]


def test_unreadable_file_says_which_file_and_line_without_echoing_it(home, alfred):
    write_aws(
        home,
        credentials=f"[dev]\n{BASE_KEYS}[dev]\naws_secret_access_key = TOPSECRETVALUE\n",
    )

    items = alfred.items("")

    assert len(items) == 1
    assert "credentials at line 4" in items[0]["title"]
    assert "[dev] appears twice" in items[0]["title"]
    assert "TOPSECRETVALUE" not in str(items)


def test_a_long_list_shows_the_best_matches_and_says_how_many_more(home, alfred):
    write_aws(home, credentials="".join(f"[p{n:03}]\n{BASE_KEYS}" for n in range(120)))

    items = alfred.items("")
    narrowed = alfred.items("p11")

    assert len(items) == 41
    assert items[-1]["title"] == "80 more profiles match"
    assert [i["title"] for i in narrowed] == [
        "p110",
        "p111",
        "p112",
        "p113",
        "p114",
        "p115",
        "p116",
        "p117",
        "p118",
        "p119",
    ]


def test_the_typed_name_comes_first_and_closer_names_before_longer_ones(home, alfred):
    # Most profiles in the config file, one only in the credentials file:
    # botocore lists that one last, behind a hundred longer names.
    names = [f"p17{n:02}" for n in range(100)] + [f"p17{n}" for n in range(10)]
    write_aws(
        home,
        config="".join(f"[profile {n}]\nregion = eu-west-1\n" for n in names),
        credentials="".join(f"[{n}]\n{BASE_KEYS}" for n in [*names, "p17", "xp17"]),
    )

    titles = [i["title"] for i in alfred.items("p17")]

    assert titles[:11] == ["p17"] + [f"p17{n}" for n in range(10)]
    assert titles[11:40] == [f"p17{n:02}" for n in range(29)]
    assert titles[-1] == "72 more profiles match"


def test_a_long_list_starts_with_the_last_profile_and_live_sessions(home, alfred):
    names = [f"team{n:02}" for n in range(60)]
    write_aws(
        home,
        config="[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\n"
        "source_profile = team52\n",
        credentials="".join(f"[{n}]\n{BASE_KEYS}" for n in names)
        + _session("team44_mfa", "team44", 3600)
        + _session("team45_mfa", "team45", -3600),
    )
    Store(alfred.data_dir).set_last_profile("team52")

    titles = [i["title"] for i in alfred.items("")]

    # A role stays under its source profile.
    assert titles[:5] == ["team52", "admin", "team44", "team00", "team01"]
    assert "team45" not in titles  # expired: back in the files' order, past the first 40
    assert titles[-1] == "21 more profiles match"


def test_a_profile_named_with_digits_is_listed_not_taken_for_a_code(home, alfred):
    write_aws(home, credentials=f"[123456789012]\n{BASE_KEYS}[dev]\n{BASE_KEYS}")

    assert [i["title"] for i in alfred.items("1234")] == ["123456789012"]
    assert alfred.items("123456789012")[0]["title"] == "123456789012"
    assert alfred.items("654321")[0]["title"] == "Type the profile before the code"


def test_a_session_profile_s_name_finds_its_base(home, alfred):
    write_aws(
        home,
        config="[profile dev]\nregion = eu-central-1\n",
        credentials=f"[dev]\n{BASE_KEYS}[devops]\n{BASE_KEYS}" + _session("dev_mfa", "dev", 3600),
    )

    items = alfred.items("dev_mfa")

    assert [i["title"] for i in items] == ["dev"]
    assert "dev_mfa valid" in items[0]["subtitle"]


def test_a_keystroke_after_a_change_to_either_file_sees_it(home, alfred):
    write_aws(home, config="[profile a]\nregion = us-east-1\n", credentials=f"[a]\n{BASE_KEYS}")
    assert _subtitles(alfred.items("")) == {"a": "us-east-1 · no MFA session yet"}

    write_aws(home, config="[profile a]\nregion = eu-west-3\n")
    assert _subtitles(alfred.items("")) == {"a": "eu-west-3 · no MFA session yet"}

    with open(home / ".aws/credentials", "a") as f:
        f.write(f"[b]\n{BASE_KEYS}")
    assert list(_subtitles(alfred.items(""))) == ["a", "b"]


def test_the_profile_cache_holds_no_secret(home, alfred):
    write_aws(
        home,
        credentials="[a]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\n"
        "aws_secret_access_key = verysecretverysecret\n",
    )

    alfred.items("")

    cached = (alfred.cache_dir / "profiles.json").read_text()
    assert '"a"' in cached
    assert "AKIAEXAMPLEEXAMPLE01" not in cached and "verysecret" not in cached
