"""Splicing the session's section into a file without touching any other byte."""

from pathlib import Path

import pytest

from afwf_mfa.errors import NotOursError
from afwf_mfa.inifile import edit_file, remove_section, set_section

PATH = Path("credentials")
VALUES = {"aws_access_key_id": "ASIAEXAMPLE", "expiration": "2026-12-05T03:31:00+01:00"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[a]\nk = v\n",
        "[a]\nk = v",
        "[a]\nk = v\n\n\n",
        "# only a comment",
        "[a]\r\nk = 100%\r\n; note\r\n",
        "[a]\ns3 =\n    signature_version = s3v4\nregion = x # inline\n",
        "[ünïcode]\n# коммент\nk = v\n",
    ],
)
def test_adding_a_section_keeps_the_rest(text):
    result = set_section(text, "dev_mfa", VALUES, "dev", PATH)

    assert result.startswith(text)
    added = result[len(text) :]
    assert "[dev_mfa]" in added
    assert added.strip().endswith("afwf_mfa_base = dev")
    assert result.endswith(("\n", "\r\n")) == (text == "" or text.endswith("\n"))
    if "\r\n" in text:
        assert added.count("\n") == added.count("\r\n")


def test_replacing_keeps_user_comments_and_following_sections():
    text = (
        "[a]\nk = v\n\n[dev_mfa]\nold = 1\naws_security_token = stale\n; kept\n"
        "afwf_mfa_base = dev\n\n# about b\n[b]\nk = v\n"
    )

    result = set_section(text, "dev_mfa", VALUES, "dev", PATH)

    assert result == (
        "[a]\nk = v\n\n[dev_mfa]\naws_access_key_id = ASIAEXAMPLE\n"
        "expiration = 2026-12-05T03:31:00+01:00\nafwf_mfa_base = dev\n; kept\n\n"
        "# about b\n[b]\nk = v\n"
    )


@pytest.mark.parametrize(
    "section",
    [
        "[dev_mfa]\naws_access_key_id = AKIAMINE\n",
        "[dev_mfa]\nafwf_mfa_base = other\n",
    ],
)
def test_a_section_this_workflow_did_not_write_is_refused(section):
    with pytest.raises(NotOursError):
        set_section("[a]\nk = v\n" + section, "dev_mfa", VALUES, "dev", PATH)


def test_removing_only_our_section():
    text = "[a]\nk = v\n[dev_mfa]\nafwf_mfa_base = dev\n[b]\nk = v\n"

    assert remove_section(text, "dev_mfa", "dev", PATH) == "[a]\nk = v\n[b]\nk = v\n"


def test_a_change_made_during_the_edit_is_kept(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[a]\nk = v\n")
    calls = []

    def edit(text):
        calls.append(text)
        if len(calls) == 1:
            path.write_text("[a]\nk = v\n[added]\nby = someone else\n")
        return set_section(text, "dev_mfa", VALUES, "dev", path)

    edit_file(path, edit, private=True)

    assert len(calls) == 2
    assert path.read_text().startswith("[a]\nk = v\n[added]\nby = someone else\n")
    assert "[dev_mfa]" in path.read_text()


def test_leftover_temporary_files_are_removed(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[a]\nk = v\n")
    leftover = tmp_path / ".credentials.afwf_mfa-abc123.tmp"
    leftover.write_text("half")
    other = tmp_path / ".other.tmp"
    other.write_text("theirs")

    edit_file(path, lambda t: set_section(t, "dev_mfa", VALUES, "dev", path), private=True)

    assert not leftover.exists()
    assert other.exists()


def test_an_indented_header_like_line_inside_a_value_is_not_a_section():
    text = "[a]\nnested =\n  [dev_mfa]\n  x = 1\n"

    result = set_section(text, "dev_mfa", VALUES, "dev", PATH)

    assert result.startswith(text)
    assert result.count("[dev_mfa]") == 2


def test_a_section_in_the_middle_is_replaced_in_place():
    text = "[a]\nk = v\n[dev_mfa]\nafwf_mfa_base = dev\n; mine\n[b]\nk = v\n"

    result = set_section(text, "dev_mfa", {"x": "1"}, "dev", PATH)

    assert result == "[a]\nk = v\n[dev_mfa]\nx = 1\nafwf_mfa_base = dev\n; mine\n[b]\nk = v\n"
