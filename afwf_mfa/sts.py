"""The conversation with STS and IAM: finding the MFA device, getting a session.

Only the login imports this module, so the keystroke path never pays for
botocore's session and client machinery. Every call is made with the base
profile's own long-term keys, never through ``AWS_PROFILE`` or a role.
"""

import dataclasses
import datetime as dt
import logging
import os
import time

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    InvalidRegionError,
    ReadTimeoutError,
    SSLError,
)

from . import __version__
from .errors import CodeRejected, StsError, WrongDeviceError
from .profiles import Profile

log = logging.getLogger(__name__)

DEFAULT_REGION = "us-east-1"

# Explicit network limits: a hung endpoint must not hold the login past its
# deadline, and a throttled call is retried a bounded number of times.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 4
MAX_ATTEMPTS = 3
THROTTLE_PAUSE = 0.5

# Lookups carry no code and may be retried by botocore. GetSessionToken is
# sent once per attempt of ours: after a timeout or a dropped connection AWS
# may already have taken the code, and sending it again would earn a
# misleading "wrong code". Only a throttled request, which AWS refused
# before looking at it, is sent again.
LOOKUP_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    user_agent_extra=f"afwf_mfa/{__version__}",
)
CODE_CONFIG = LOOKUP_CONFIG.merge(Config(retries={"total_max_attempts": 1}))

THROTTLED = ("Throttling", "ThrottlingException", "RequestLimitExceeded")


@dataclasses.dataclass(frozen=True)
class Session:
    """Temporary credentials from GetSessionToken."""

    access_key_id: str = dataclasses.field(repr=False)
    secret_access_key: str = dataclasses.field(repr=False)
    session_token: str = dataclasses.field(repr=False)
    expiration: dt.datetime


class Sts:
    """STS and IAM clients that sign with one base profile's long-term keys."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.region = profile.region or DEFAULT_REGION

        # The profile's files were read already: the session reads none (and
        # so no AWS_PROFILE/AWS_DEFAULT_PROFILE, which may name a profile that
        # does not exist); what the profile says that matters here is handed
        # over explicitly. Environment settings (AWS_ENDPOINT_URL_STS,
        # AWS_CA_BUNDLE, HTTPS_PROXY) still apply.
        for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(variable, None)
        self._session = botocore.session.Session()
        self._session.set_config_variable("config_file", os.devnull)
        self._session.set_config_variable("credentials_file", os.devnull)
        self._verify = profile.ca_bundle or None
        self._clients = {}
        self.account = None

    def _client(self, service: str, config: Config = LOOKUP_CONFIG):
        key = (service, id(config))
        if key not in self._clients:
            self._clients[key] = self._session.create_client(
                service,
                region_name=self.region,
                aws_access_key_id=self.profile.access_key_id,
                aws_secret_access_key=self.profile.secret_access_key,
                verify=self._verify,
                config=config,
            )
        return self._clients[key]

    def find_devices(self) -> list[str]:
        """The serials of the user's MFA devices that STS accepts codes from.

        FIDO security keys are left out: they work in the console only. The
        caller's account is kept in ``self.account``.
        """
        with _translated(self.profile, during="identifying the user"):
            identity = self._client("sts").get_caller_identity()
        arn = identity["Arn"]
        self.account = identity.get("Account")
        kwargs = {}
        if not arn.endswith(":root"):
            kwargs["UserName"] = arn.rsplit("/", 1)[-1]
        with _translated(self.profile, during="listing MFA devices"):
            devices = self._client("iam").list_mfa_devices(**kwargs)["MFADevices"]
        serials = [d["SerialNumber"] for d in devices]
        usable = [s for s in serials if ":u2f/" not in s]
        log.info(
            "%s: %d MFA devices, %d usable with STS", self.profile.name, len(serials), len(usable)
        )
        if not usable:
            if serials:
                raise StsError(
                    f"{self.profile.name}'s only MFA devices are security keys, "
                    "which STS cannot use.",
                    "Add a virtual (authenticator app) MFA device to the IAM user.",
                )
            raise StsError(
                f"{self.profile.name}'s IAM user has no MFA device.",
                "Assign an authenticator app in the IAM console, or set mfa_serial "
                f"in [profile {self.profile.name}].",
            )
        return usable

    def get_session_token(self, serial: str, code: str, duration: int) -> Session:
        """Exchange an MFA code for session credentials."""
        with _translated(self.profile, during="getting a session"):
            client = self._client("sts", CODE_CONFIG)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with _translated(self.profile, during="getting a session", serial=serial):
                    answer = client.get_session_token(
                        DurationSeconds=duration, SerialNumber=serial, TokenCode=code
                    )
                break
            except StsError as exc:
                if not exc.throttled or attempt == MAX_ATTEMPTS:
                    raise
                time.sleep(THROTTLE_PAUSE * attempt)
        creds = answer["Credentials"]
        return Session(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
            expiration=creds["Expiration"],
        )


class _translated:
    """Turn botocore's errors into messages a user can act on."""

    def __init__(self, profile: Profile, during: str, serial: str | None = None):
        self.profile = profile
        self.during = during
        self.serial = serial

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, ClientError):
            raise client_error(exc, self.profile, self.during, self.serial) from None
        if isinstance(exc, BotoCoreError):
            raise connection_error(exc, self.profile, self.during) from None
        return False


def client_error(
    exc: ClientError, profile: Profile, during: str, serial: str | None = None
) -> StsError:
    """The user's message for an error STS or IAM answered with."""
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    message = error.get("Message", "") or ""
    name = profile.name
    # The log is masked, so AWS's own text (which can echo a code) is safe there.
    log.warning("%s failed while %s: %s: %s", name, during, code, message)

    if code == "AccessDenied" and "invalid MFA one time pass code" in message:
        return CodeRejected(
            "AWS did not accept that code: it is wrong or was already used.",
            "Wait for the next code and try again.",
        )
    if code == "AccessDenied" and "unable to validate MFA code" in message:
        return WrongDeviceError(
            f"AWS could not check the code against the MFA device {serial}.",
            "Make sure the device belongs to this IAM user (mfa_serial in "
            f"[profile {name}]) and that your phone sets its clock automatically.",
        )
    if code == "AccessDenied" and "session credentials" in message:
        return StsError(
            f"{name} holds session keys, and STS needs long-term keys for this.",
            f"Put the IAM user's access key in [{name}] in the credentials file.",
        )
    if code == "AccessDenied":
        return StsError(
            f"AWS denied {name} while {during}.",
            f"Set mfa_serial in [profile {name}] so no IAM call is needed, "
            "or ask your administrator to allow it.",
        )
    if code == "InvalidClientTokenId":
        return StsError(
            f"AWS does not recognise {name}'s access key: it is deleted, "
            "deactivated or mistyped, or STS is not enabled in "
            f"{profile.region or DEFAULT_REGION}.",
            "Check the key in the IAM console and the profile's region.",
        )
    if code == "SignatureDoesNotMatch" and "expired" in message.lower():
        return StsError(
            "Your Mac's clock is more than 15 minutes off, so AWS refuses the request.",
            "Turn on 'Set time and date automatically' in System Settings.",
        )
    if code == "SignatureDoesNotMatch":
        return StsError(
            f"{name}'s secret access key does not match its access key.",
            f"Copy the secret key again into [{name}] in the credentials file.",
        )
    if code == "ExpiredToken":
        return StsError(
            f"{name} holds an expired session, not long-term keys.",
            f"Put the IAM user's access key in [{name}] in the credentials file.",
        )
    if code == "ValidationError":
        return StsError(
            "STS refused the request as malformed (the code or the session length).",
            "Type the 6 digits your authenticator shows; check the session length setting.",
        )
    if code == "RegionDisabledException":
        return StsError(
            f"STS is not enabled in {profile.region or DEFAULT_REGION} for this account.",
            f"Enable the region, or set another region in [profile {name}].",
        )
    if code in THROTTLED:
        error = StsError(
            "AWS is throttling requests right now.", "Wait a minute, then use the next code."
        )
        error.throttled = True
        return error
    return StsError(
        f"AWS answered {code or 'an error'} while {during}.",
        "The workflow's log has the details.",
    )


def connection_error(exc: BotoCoreError, profile: Profile, during: str = "") -> StsError:
    """The user's message when STS could not be reached or answered nonsense."""
    then = "then use the next code" if during == "getting a session" else "then try again"
    log.warning("%s: %s: %s", profile.name, type(exc).__name__, exc)
    if isinstance(exc, SSLError):
        return StsError(
            "The STS endpoint's certificate could not be verified.",
            f"Behind a TLS-inspecting proxy, set ca_bundle in [profile {profile.name}] or "
            "the CA bundle in the workflow's configuration.",
        )
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return StsError(
            "AWS did not answer in time.", f"Check your network, proxy or VPN, {then}."
        )
    if isinstance(exc, EndpointConnectionError):
        return StsError(
            "STS could not be reached.", "Check your network, proxy or VPN and try again."
        )
    if isinstance(exc, ConnectionClosedError):
        return StsError(
            "The connection to AWS broke off before it answered.",
            f"Check your network, proxy or VPN, {then}.",
        )
    if isinstance(exc, InvalidRegionError):
        return StsError(
            f"The region of {profile.name} is not a valid AWS region name.",
            f"Fix region in [profile {profile.name}].",
        )
    return StsError(
        f"The request to STS failed ({type(exc).__name__}).", "The workflow's log has details."
    )
