"""A keystroke never loads botocore's client or session machinery, nor boto3.

Alfred runs the Script Filter on every keystroke; importing boto3 or
creating a botocore session alone costs more than the rest of it. Each
case runs ``main.py filter QUERY`` in a fresh interpreter with Alfred's
variables and a temporary home, then lists every module that was imported.
A login loads botocore's client, and still neither boto3 nor afwf.
"""

import json

import pytest
from alfred import ROOT, Alfred, python_env, run_listing_modules
from conftest import dev_files, write_aws

from afwf_mfa.profiles import CACHE_NAME

FORBIDDEN = ("boto3", "botocore.session", "botocore.client")


USER = {
    "key": "AKIAEXAMPLEEXAMPLE01",
    "secret": "examplesecretexamplesecretexamplesecret0",
    "serials": ["arn:aws:iam::123456789012:mfa/dev"],
}

QUERIES = ["", "de", "dev ", "dev 123", "dev 123456", "prod 123 456"]


def keystroke(alfred: Alfred, query: str, tmp_path) -> tuple[dict, list[str]]:
    """The Script Filter JSON for ``query`` and the modules the run imported."""
    listing = tmp_path / "modules.json"
    result, modules = run_listing_modules(ROOT, ["filter", query], alfred.env(), listing)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), sorted(modules)


def cache_stamp(alfred: Alfred):
    path = alfred.cache_dir / CACHE_NAME
    return (path.stat().st_ino, path.stat().st_mtime_ns) if path.exists() else None


@pytest.mark.parametrize("cache", ["miss", "hit"])
@pytest.mark.parametrize("query", QUERIES)
def test_keystroke_imports_no_client_or_session(home, tmp_path, query, cache):
    alfred = Alfred(home, python_env())
    config, credentials = dev_files(USER)
    write_aws(home, config, credentials)
    if cache == "hit":
        keystroke(alfred, query, tmp_path)
    else:
        # The files changed since the last keystroke: they must be read again.
        keystroke(alfred, query, tmp_path)
        with open(home / ".aws/credentials", "a", encoding="utf-8") as f:
            f.write("# edited\n")
    before = cache_stamp(alfred)

    output, modules = keystroke(alfred, query, tmp_path)

    written = cache_stamp(alfred) != before
    assert written == (cache == "miss"), "the run was not the cache case it was meant to be"
    items = output["items"]
    assert items and items[0]["icon"]["path"] != "icons/error.png", items
    assert "afwf_mfa.views" in modules, "the listing is not of the workflow's run"
    imported = [m for m in modules if m in FORBIDDEN or m.startswith("boto3.")]
    assert imported == [], f"`mfa {query}` imported {imported}"


def test_enter_after_the_keystroke_signs_in_without_boto3_or_afwf(alfred, home, user, tmp_path):
    # Enter follows the Script Filter's run on the same files, so the login
    # finds the profiles cached and pays only for botocore's STS client.
    config, credentials = dev_files(user)
    write_aws(home, config, credentials)
    (item,) = [i for i in alfred.items("dev 123456") if i.get("valid", True)]

    listing = tmp_path / "login-modules.json"
    result, modules = run_listing_modules(ROOT, ["run", item["arg"]], alfred.env(), listing)

    assert result.returncode == 0, result.stderr
    variables = json.loads(result.stdout)["alfredworkflow"]["variables"]
    assert variables["outcome"] == "ok", variables
    assert "[dev_mfa]" in (home / ".aws/credentials").read_text()
    assert "botocore.client" in modules, "the listing is not of a login"
    heavy = [m for m in modules if m.split(".")[0] in ("boto3", "afwf", "pydantic")]
    assert heavy == [], f"the login imported {heavy}"
