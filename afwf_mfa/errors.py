"""Errors a user can meet, each with a plain message and the way to fix it."""


class MfaError(Exception):
    """A problem the user can act on.

    ``message`` says what is wrong, ``fix`` says what to do about it. Neither
    may contain a secret: both end up in Alfred items and notifications.
    """

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} {self.fix}".strip()


class SettingsError(MfaError):
    """A value in the workflow's configuration is unusable."""


class AwsFileError(MfaError):
    """``~/.aws/config`` or ``~/.aws/credentials`` cannot be read or written."""


class ProfileError(MfaError):
    """The profile is unknown or cannot be used for an MFA session."""


class NotOursError(ProfileError):
    """The session profile exists and was not written by this workflow."""

    @classmethod
    def about(cls, section: str, path) -> "NotOursError":
        """The error for ``[section]`` in the file at ``path``."""
        return cls(
            f"[{section}] in {path} was not written by this workflow, so it is left alone.",
            "Rename or remove that section, or choose another session suffix "
            "in the workflow's configuration.",
        )


class CodeError(MfaError):
    """The typed MFA code is not six digits."""


class StsError(MfaError):
    """STS or IAM refused the request or could not be reached.

    ``spent`` is true when STS judged the code, so it cannot be used again;
    ``throttled`` when AWS refused the request unread, so it may be repeated.
    """

    spent = False
    throttled = False


class CodeRejected(StsError):
    """STS judged the code wrong or already used."""

    spent = True


class WrongDeviceError(StsError):
    """STS says the MFA device does not belong to the user."""


class ChooseDevice(MfaError):
    """The user has several MFA devices and must pick one."""

    def __init__(self, profile: str, serials: list[str]):
        super().__init__(
            f"{profile} has {len(serials)} MFA devices.",
            "Pick the one your code comes from.",
        )
        self.profile = profile
        self.serials = serials


class YubiKeyError(MfaError):
    """A code could not be had from a YubiKey through YubiKey Manager (``ykman``)."""


class YkmanMissing(YubiKeyError):
    """``ykman`` is neither configured nor in any place the workflow looks."""


class NoYubiKey(YubiKeyError):
    """``ykman`` found no YubiKey plugged in."""


class TouchTimeout(YubiKeyError):
    """The YubiKey waited for a touch that did not come."""


class NoOathAccount(YubiKeyError):
    """No OATH account on the YubiKey belongs to the profile."""


class YkmanFailed(YubiKeyError):
    """``ykman`` failed for another reason, which the message names."""
