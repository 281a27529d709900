"""Turn an MFA code into a working AWS CLI session, from Alfred."""

__version__ = "0.1.0"
