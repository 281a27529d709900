"""Keys, secrets, session tokens and codes stay out of logs, items and notifications."""

import hashlib
import json
import re
import stat

from conftest import dev_files, write_aws

from afwf_mfa.logs import mask

CODE = "482913"
OTHER_CODE = "739204"
HEX = r"[0-9a-f]{3,64}"


def _visible(items):
    """What Alfred shows of items: everything but ``arg``, which it only hands on."""
    return json.dumps([{k: v for k, v in i.items() if k != "arg"} for i in items])


def test_a_login_and_a_failed_one_leak_no_secret(home, alfred, user, local_sts):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)
    alfred.config["alfred_debug"] = "1"

    typed = [alfred.items(q) for q in ("", "dev ", "dev 482", f"dev {CODE}")]
    good = alfred.enter(typed[-1][0])
    written = (home / ".aws/credentials").read_text()
    session = dict(
        line.split(" = ", 1) for line in written.split("[dev_mfa]\n")[1].splitlines() if line
    )
    alfred.extra_env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9"
    assert alfred.items(f"dev {CODE}")[0]["title"] == "That code was just used"
    bad = alfred.enter(alfred.items(f"dev {OTHER_CODE}")[0])

    secrets = [
        user["key"],
        user["secret"],
        session["aws_access_key_id"],
        session["aws_secret_access_key"],
        session["aws_session_token"],
        CODE,
        OTHER_CODE,
    ]
    log = (alfred.cache_dir / "afwf_mfa.log").read_text()
    seen = "\n".join(
        [log, *good.stderr, *bad.stderr, *map(_visible, typed)]
        + [t for pair in good.notifications + bad.notifications for t in pair]
    )
    assert "login for dev" in log
    assert "STS could not be reached" in bad.notifications[0][1]
    for secret in secrets:
        assert secret not in seen
    # Cmd-C and Large Type fall back to the argument when an item has no text.
    login_item = typed[-1][0]
    assert CODE in login_item["arg"]
    assert set(login_item["text"]) == {"copy", "largetype"}


def _hex_strings(path):
    """Every key and value in a JSON file that could be a hash, or part of one."""
    found = set()

    def collect(pairs):
        found.update(str(x) for pair in pairs for x in pair if re.fullmatch(HEX, str(x)))
        return dict(pairs)

    json.loads(path.read_text(), object_pairs_hook=collect)
    return found


def test_the_workflow_keeps_nothing_that_gives_back_a_used_code(home, alfred, user):
    # The workflow remembers codes it sent, to catch one typed twice. What it
    # keeps must not give the code back, neither as text nor by trying all
    # million codes against a hash of the device and the code.
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)
    alfred.enter(alfred.items(f"dev {CODE}")[0])
    assert alfred.items(f"dev {CODE}")[0]["title"] == "That code was just used"

    kept = [p for d in (alfred.data_dir, alfred.cache_dir) for p in d.rglob("*") if p.is_file()]
    assert CODE not in "\n".join(p.read_text(errors="replace") for p in kept)
    hexes = {s for path in kept if path.suffix == ".json" for s in _hex_strings(path)}
    serial = user["serials"][0]
    guesses = [hashlib.sha256(f"{serial}\0{n:06d}".encode()).hexdigest() for n in range(10**6)]
    for value in hexes:
        fitting = sum(1 for guess in guesses if guess.startswith(value))
        assert fitting != 1, "a kept value names exactly one code"


def test_workflow_folders_and_files_are_private(home, alfred, user):
    config, credentials = dev_files(user, serial=False)
    write_aws(home, config, credentials)

    alfred.enter(alfred.items("dev 123456")[0])

    for folder in (alfred.data_dir, alfred.cache_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in folder.iterdir():
            if path.is_file():
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_mask_hides_keys_secrets_tokens_and_codes_but_keeps_times_and_accounts():
    line = (
        "key AKIAIOSFODNN7EXAMPLE secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
        "code 123 456 and 654321 account 123456789012 at 03:31 on 2026-12-04"
    )

    masked = mask(line)

    assert "AKIA****" in masked and "IOSFODNN7EXAMPLE" not in masked
    assert "wJalr" not in masked
    assert "123 456" not in masked and "654321" not in masked
    assert "123456789012" in masked and "03:31" in masked and "2026-12-04" in masked
