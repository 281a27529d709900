"""Crashes, full disks, hung name lookups and two logins at once: the files stay whole."""

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import botocore.session
import pytest
from conftest import dev_files, write_aws

from afwf_mfa import inifile, login, settings, sts
from afwf_mfa.errors import AwsFileError, StsError
from afwf_mfa.profiles import Profile
from afwf_mfa.store import Store

VALUES = {"aws_access_key_id": "ASIAEXAMPLE", "expiration": "2026-12-05T03:31:00+01:00"}
ORIGINAL = "# mine\n[dev]\naws_access_key_id = AKIAEXAMPLE\n"


def _edit(path):
    return inifile.edit_file(
        path, lambda t: inifile.set_section(t, "dev_mfa", VALUES, "dev", path), private=True
    )


def test_killed_between_write_and_rename_leaves_the_old_file(tmp_path):
    path = tmp_path / "credentials"
    path.write_text(ORIGINAL)
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from afwf_mfa import inifile\n"
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        "p = Path(sys.argv[1])\n"
        "inifile.edit_file(p, lambda t: inifile.set_section(t, 's', {'k': 'v'}, 'b', p), True)\n"
    )

    result = subprocess.run([sys.executable, "-c", script, str(path)], timeout=60)

    assert result.returncode == -signal.SIGKILL
    assert path.read_text() == ORIGINAL
    (leftover,) = [p for p in tmp_path.iterdir() if p != path]
    assert leftover.name.startswith(".credentials.afwf_mfa-")

    _edit(path)

    assert not leftover.exists()
    assert path.read_text().startswith(ORIGINAL)


def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "credentials"
    path.write_text(ORIGINAL)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)

    with pytest.raises(AwsFileError) as caught:
        _edit(path)

    assert "No space left on device" in caught.value.message
    assert path.read_text() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["credentials"]


def test_config_write_failing_puts_the_credentials_back(tmp_path, monkeypatch):
    home = tmp_path
    (home / "credentials").write_text(ORIGINAL + "aws_secret_access_key = s\n")
    (home / "config").mkdir()
    env = {
        "aws_config_file": str(home / "config/inside/config"),
        "aws_credentials_file": str(home / "credentials"),
        "alfred_workflow_cache": str(home / "cache"),
        "alfred_workflow_data": str(home / "data"),
    }
    config = settings.load(env)
    (home / "config").chmod(0o500)
    real_replace = inifile._replace

    def failing_for_config(target, text, mode, expected):
        if target.name == "config":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_replace(target, text, mode, expected)

    monkeypatch.setattr(inifile, "_replace", failing_for_config)
    base = Profile(name="dev", kind="base", region="eu-central-1")
    session = sts.Session("ASIAX", "secret", "token", login.timetext.now())

    with pytest.raises(AwsFileError):
        login.write_session(config, base, session)

    assert (home / "credentials").read_text() == ORIGINAL + "aws_secret_access_key = s\n"


def test_a_hung_name_lookup_ends_at_the_deadline(tmp_path, monkeypatch):
    (tmp_path / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/dev\n"
    )
    env = {
        "aws_config_file": str(tmp_path / "config"),
        "aws_credentials_file": str(tmp_path / "credentials"),
        "alfred_workflow_cache": str(tmp_path / "cache"),
        "alfred_workflow_data": str(tmp_path / "data"),
    }
    hung = threading.Event()

    def hanging_lookup(*args, **kwargs):
        hung.set()
        time.sleep(30)
        raise socket.gaierror("gave up")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_lookup)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://sts.lookup-hangs.test")
    monkeypatch.setattr(login, "DEADLINE", 2.0)

    started = time.monotonic()
    with pytest.raises(StsError) as caught:
        login.login(settings.load(env), Store(tmp_path / "data"), "dev", "123456")

    assert hung.is_set()
    assert time.monotonic() - started < 10
    assert "did not answer within 2 seconds" in caught.value.message
    assert "[dev_mfa]" not in (tmp_path / "credentials").read_text()


def test_clients_have_explicit_timeouts_and_attempts():
    profile = Profile(name="dev", kind="base", access_key_id="AKIAX", secret_access_key="s")
    talk = sts.Sts(profile)

    lookup = talk._client("sts").meta.config
    code = talk._client("sts", sts.CODE_CONFIG).meta.config

    assert (lookup.connect_timeout, lookup.read_timeout) == (3, 4)
    assert (code.connect_timeout, code.read_timeout) == (3, 4)
    assert lookup.retries["total_max_attempts"] == 3
    assert code.retries["total_max_attempts"] == 1, "botocore must not resend a code"
    assert sts.MAX_ATTEMPTS == 3
    assert login.DEADLINE == 8


def _resolved(home, profile):
    os.environ["AWS_CONFIG_FILE"] = str(home / ".aws/config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / ".aws/credentials")
    try:
        return botocore.session.Session(profile=profile).get_credentials()
    finally:
        del os.environ["AWS_CONFIG_FILE"], os.environ["AWS_SHARED_CREDENTIALS_FILE"]


def _enter_together(alfred, requests):
    results = [None] * len(requests)

    def run(n, request):
        results[n] = alfred.enter({"arg": json.dumps(request)})

    threads = [threading.Thread(target=run, args=(n, r)) for n, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_two_profiles_logging_in_at_once_both_land(home, alfred, local_sts):
    dev = local_sts.create_user("together-dev")
    ops = local_sts.create_user("together-ops")
    config, credentials = dev_files(dev)
    credentials += (
        f"\n[ops]\naws_access_key_id = {ops['key']}\naws_secret_access_key = {ops['secret']}\n"
    )
    write_aws(home, config + "\n[profile ops]\nregion = us-east-2\n", credentials)
    alfred.items("")

    results = _enter_together(
        alfred,
        [
            {"profile": "dev", "code": "111111", "serial": dev["serials"][0]},
            {"profile": "ops", "code": "222222", "serial": ops["serials"][0]},
        ],
    )

    assert all(r.clipboard for r in results), [r.notifications for r in results]
    text = (home / ".aws/credentials").read_text()
    assert text.startswith(credentials)
    assert text.count("[dev_mfa]") == 1 and text.count("[ops_mfa]") == 1
    assert _resolved(home, "dev_mfa").token and _resolved(home, "ops_mfa").token
    assert "[profile dev_mfa]" in (home / ".aws/config").read_text()
    assert "[profile ops_mfa]" in (home / ".aws/config").read_text()


def test_two_logins_for_one_profile_leave_one_valid_session(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    results = _enter_together(
        alfred,
        [
            {"profile": "dev", "code": "333333", "serial": user["serials"][0]},
            {"profile": "dev", "code": "444444", "serial": user["serials"][0]},
        ],
    )

    assert any(r.clipboard for r in results)
    text = (home / ".aws/credentials").read_text()
    assert text.startswith(credentials)
    assert text.count("[dev_mfa]") == 1
    assert (home / ".aws/config").read_text().count("[profile dev_mfa]") == 1
    assert _resolved(home, "dev_mfa").token


def test_the_lock_lives_in_the_workflow_cache_not_in_dot_aws(home, alfred, user):
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)

    alfred.enter(alfred.items("dev 555555")[0])

    assert sorted(p.name for p in (home / ".aws").iterdir()) == ["config", "credentials"]
    assert (alfred.cache_dir / inifile.LOCK_NAME).exists()
    assert Path(alfred.cache_dir).stat().st_mode & 0o077 == 0
