"""Generated files: a write keeps every line outside the session's sections."""

import configparser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afwf_mfa.inifile import set_section

NAME = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="[]\r\n\x00", exclude_categories=["Cs", "Cc", "Zl", "Zp"]
    ),
    min_size=1,
    max_size=12,
).filter(lambda n: n.strip() == n and n != "dev_mfa")
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
VALUE = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="\r\n\x00", exclude_categories=["Cs", "Cc", "Zl", "Zp"]
    ),
    max_size=30,
).map(str.strip)
COMMENT = st.builds(lambda mark, text: f"{mark} {text}".rstrip(), st.sampled_from("#;"), VALUE)


@st.composite
def ini_files(draw):
    """An INI file as botocore accepts it, with comments, blanks and odd spacing."""
    lines = [draw(COMMENT) for _ in range(draw(st.integers(0, 2)))]
    names = draw(st.lists(NAME, max_size=6, unique_by=str.casefold))
    for name in names:
        lines.append(f"[{name}]" + draw(st.sampled_from(["", " ", "  "])))
        keys = draw(st.lists(KEY, max_size=4, unique=True))
        for key in keys:
            around = draw(st.sampled_from([" = ", "=", " =", "= ", " : "]))
            lines.append(f"{key}{around}{draw(VALUE)}")
            if draw(st.booleans()):
                lines.append(draw(COMMENT))
        lines.extend([""] * draw(st.integers(0, 2)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines)
    if lines and draw(st.booleans()):
        text += newline
    return text


def _parses(text):
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ini_files(), st.booleans())
def test_a_write_keeps_every_other_line(text, twice):
    _parses(text)
    values = {"aws_access_key_id": "ASIAEXAMPLE", "aws_session_token": "t%o=k/en+"}

    result = set_section(text, "dev_mfa", values, "dev", "generated")
    if twice:
        result = set_section(result, "dev_mfa", {"aws_access_key_id": "ASIAOTHER"}, "dev", "g")

    assert result.startswith(text)
    parsed = _parses(result)
    expected = {"aws_access_key_id": "ASIAOTHER"} if twice else values
    assert dict(parsed["dev_mfa"]) == {**expected, "afwf_mfa_base": "dev"}
    outside = [s for s in parsed.sections() if s != "dev_mfa"]
    assert outside == _parses(text).sections()
