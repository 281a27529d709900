"""Turn an MFA code into a working AWS CLI session, from Alfred."""

import os


def __getattr__(name: str):
    # The version lives in info.plist alone, which Alfred and the bundle need
    # anyway; the package reads it from there when asked.
    if name == "__version__":
        import plistlib

        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(os.path.dirname(here), "info.plist"), "rb") as f:
            version = plistlib.load(f)["version"]
        # Read once: ``from . import __version__`` asks twice.
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
