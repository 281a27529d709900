"""When STS says no or does not answer: a plain message, untouched files, nothing copied."""

import json
import time

import pytest
from conftest import snapshot, write_aws
from faultsts import error

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
CONFIG = f"# mine\n[profile dev]\nregion = eu-central-1\nmfa_serial = {SERIAL}\n"
CREDENTIALS = (
    "[dev]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\n"
    "aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00\n"
)


@pytest.fixture
def files(home):
    write_aws(home, CONFIG, CREDENTIALS)
    return snapshot(home)


def enter(alfred, serial=SERIAL, code="123456"):
    arg = json.dumps({"profile": "dev", "code": code, "serial": serial})
    return alfred.enter({"arg": arg})


CASES = [
    (
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        "AWS did not accept that code: it is wrong or was already used. "
        "Wait for the next code and try again.",
    ),
    (
        "AccessDenied",
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your "
        "MFA serial number is valid and associated with this user.",
        f"AWS could not check the code against the MFA device {SERIAL}.",
    ),
    (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        "AWS does not recognise dev's access key",
    ),
    (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
        "dev's secret access key does not match its access key.",
    ),
    (
        "SignatureDoesNotMatch",
        "Signature expired: 20261204T100000Z is now earlier than 20261204T101500Z",
        "Your Mac's clock is more than 15 minutes off",
    ),
    ("ExpiredToken", "The security token included in the request is expired", "expired session"),
    (
        "ValidationError",
        "1 validation error detected: Value '1234567' at 'tokenCode' failed to satisfy constraint",
        "STS refused the request as malformed",
    ),
    ("RegionDisabledException", "STS is not activated in this region", "STS is not enabled"),
]


@pytest.mark.parametrize(("code", "message", "expected"), CASES)
def test_each_sts_error_has_its_own_message(
    files, home, fault_sts, faulty_alfred, code, message, expected
):
    fault_sts.behaviour = error(code, message, 403)

    outputs = enter(faulty_alfred)

    ((title, text),) = outputs.notifications
    assert title == "No MFA session for dev"
    assert expected in text
    assert outputs.clipboard == []
    assert snapshot(home) == files
    assert message not in text, "STS's own text may echo the code"


def test_throttling_is_retried_a_bounded_number_of_times(files, home, fault_sts, faulty_alfred):
    fault_sts.behaviour = error("Throttling", "Rate exceeded", 400)

    outputs = enter(faulty_alfred)

    assert fault_sts.actions == ["GetSessionToken"] * 3
    assert "throttling" in outputs.notifications[0][1]
    assert snapshot(home) == files


def test_a_hanging_endpoint_ends_in_a_message(files, home, fault_sts, faulty_alfred):
    fault_sts.behaviour = {"kind": "hang", "seconds": 30}

    started = time.monotonic()
    outputs = enter(faulty_alfred)
    elapsed = time.monotonic() - started

    assert "AWS did not answer" in outputs.notifications[0][1]
    assert "use the next code" in outputs.notifications[0][1]
    assert fault_sts.actions == ["GetSessionToken"], "a code that may be spent is not resent"
    assert outputs.clipboard == []
    assert snapshot(home) == files
    assert elapsed < 20, "the login must not wait for the endpoint to give up"


def test_an_unreachable_endpoint_ends_in_a_message(files, home, faulty_alfred):
    faulty_alfred.extra_env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9"

    outputs = enter(faulty_alfred)

    assert "STS could not be reached" in outputs.notifications[0][1]
    assert snapshot(home) == files


def test_root_keys_capped_at_an_hour_are_reported_as_an_hour(
    files, home, fault_sts, faulty_alfred
):
    fault_sts.behaviour = {"kind": "session", "seconds": 3600}

    outputs = enter(faulty_alfred)

    assert outputs.notifications[0][0].endswith("(1 h)")
    assert "[dev_mfa]" in (home / ".aws/credentials").read_text()


def test_wrong_device_forgets_the_remembered_one(home, fault_sts, faulty_alfred):
    write_aws(home, "[profile dev]\nregion = eu-central-1\n", CREDENTIALS)
    fault_sts.behaviour = {"kind": "session", "seconds": 3600}
    enter(faulty_alfred, serial=SERIAL)
    assert SERIAL in faulty_alfred.items("dev ")[0]["subtitle"]

    fault_sts.behaviour = error(
        "AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.", 403
    )
    outputs = enter(faulty_alfred, serial=None, code="654321")

    assert "could not check the code" in outputs.notifications[0][1]
    assert "looked up" in faulty_alfred.items("dev ")[0]["subtitle"]


def test_bad_code_is_never_sent(files, home, fault_sts, faulty_alfred):
    arg = json.dumps({"profile": "dev", "code": "12345a", "serial": SERIAL})

    outputs = faulty_alfred.enter({"arg": arg})

    assert fault_sts.actions == []
    assert "no letters" in outputs.notifications[0][1]
    assert snapshot(home) == files


def test_a_code_used_moments_ago_is_caught_before_sts(files, home, fault_sts, faulty_alfred):
    fault_sts.behaviour = {"kind": "session", "seconds": 3600}
    enter(faulty_alfred, code="246810")
    after_first = snapshot(home)

    shown = faulty_alfred.items("dev 246 810")
    outputs = enter(faulty_alfred, code="246810")

    assert fault_sts.actions == ["GetSessionToken"]
    assert shown[0]["title"] == "That code was just used"
    assert shown[0]["valid"] is False
    assert "Wait for the next code" in outputs.notifications[0][1]
    assert snapshot(home) == after_first


def test_a_code_sts_rejected_is_not_sent_again(files, home, fault_sts, faulty_alfred):
    fault_sts.behaviour = error(
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        403,
    )
    enter(faulty_alfred, code="135790")

    outputs = enter(faulty_alfred, code="135790")

    assert fault_sts.actions == ["GetSessionToken"]
    assert "just used" in outputs.notifications[0][1]


def test_a_rejected_code_is_caught_at_the_keystroke_when_the_device_was_looked_up(
    home, fault_sts, faulty_alfred
):
    # No mfa_serial: the first login finds the device through IAM, and STS
    # turns the code down. Typed again, the code is refused before Enter.
    write_aws(home, "[profile dev]\nregion = eu-central-1\n", CREDENTIALS)
    fault_sts.behaviour = error(
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        403,
        lookups=True,
    )
    (item,) = faulty_alfred.items("dev 975310")
    faulty_alfred.enter(item)

    shown = faulty_alfred.items("dev 975310")

    assert fault_sts.actions == ["GetCallerIdentity", "ListMFADevices", "GetSessionToken"]
    assert shown[0]["title"] == "That code was just used"
    assert "arn:aws:iam::210987654321:mfa/alice" in faulty_alfred.items("dev ")[0]["subtitle"]


def test_a_code_used_with_one_profile_is_caught_for_another_on_the_same_device(
    home, fault_sts, faulty_alfred
):
    # AWS takes each code once per device, whichever profile sends it.
    config = CONFIG + f"[profile dev-us]\nregion = us-east-1\nmfa_serial = {SERIAL}\n"
    write_aws(home, config, CREDENTIALS + CREDENTIALS.replace("[dev]", "[dev-us]"))
    fault_sts.behaviour = {"kind": "session", "seconds": 3600}
    enter(faulty_alfred, code="864209")

    shown = faulty_alfred.items("dev-us 864209")

    assert shown[0]["title"] == "That code was just used"
    assert fault_sts.actions == ["GetSessionToken"]


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ({"kind": "drop"}, "The connection to AWS broke off"),
        (
            error("InternalFailure", "oops", 500),
            "AWS answered InternalFailure",
        ),
    ],
)
def test_a_code_that_may_have_reached_aws_is_sent_once(
    files, home, fault_sts, faulty_alfred, behaviour, expected
):
    fault_sts.behaviour = behaviour

    outputs = enter(faulty_alfred)

    assert fault_sts.actions == ["GetSessionToken"]
    assert expected in outputs.notifications[0][1]
    assert outputs.clipboard == []
    assert snapshot(home) == files
