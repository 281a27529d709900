"""Shared set-up: a local STS, temporary homes with real ~/.aws files, the Alfred runner."""

import hashlib
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from alfred import Alfred, python_env  # noqa: E402
from faultsts import FaultSts  # noqa: E402
from localsts import LocalSts  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def local_sts():
    with LocalSts() as server:
        yield server


@pytest.fixture
def fault_sts():
    with FaultSts() as server:
        yield server


@pytest.fixture
def user(local_sts, request):
    """A fresh IAM user with one virtual MFA device, in the local STS."""
    return local_sts.create_user(f"user-{uuid.uuid4().hex[:10]}")


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    (path / ".aws").mkdir(parents=True)
    return path


def write_aws(home: Path, config: str | None = None, credentials: str | None = None) -> None:
    """Write the two files byte for byte as given (no newline translation)."""
    if config is not None:
        (home / ".aws/config").write_bytes(config.encode())
    if credentials is not None:
        (home / ".aws/credentials").write_bytes(credentials.encode())
        (home / ".aws/credentials").chmod(0o600)


class Snapshot:
    """Files' bytes by path; shown as digests, so a failing test prints no key."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files

    def __eq__(self, other) -> bool:
        return isinstance(other, Snapshot) and self.files == other.files

    def __getitem__(self, path: str) -> bytes:
        return self.files[path]

    def get(self, path: str) -> bytes | None:
        return self.files.get(path)

    def __repr__(self) -> str:
        digests = {k: hashlib.sha256(v).hexdigest()[:12] for k, v in self.files.items()}
        return f"Snapshot({digests})"


def snapshot(home: Path) -> Snapshot:
    """Every file under ~/.aws, as bytes."""
    return Snapshot(
        {
            str(p.relative_to(home)): p.read_bytes()
            for p in (home / ".aws").rglob("*")
            if p.is_file()
        }
    )


@pytest.fixture
def alfred(home, local_sts):
    """The workflow as Alfred runs it, pointed at the local STS."""
    return Alfred(home, {**python_env(), **local_sts.endpoint_env()})


@pytest.fixture
def faulty_alfred(home, fault_sts):
    """The workflow pointed at the fault server."""
    env = {"AWS_ENDPOINT_URL_STS": fault_sts.url, "AWS_ENDPOINT_URL_IAM": fault_sts.url}
    return Alfred(home, {**python_env(), **env})


def dev_files(user: dict, serial: bool = True, region: str = "eu-central-1") -> tuple[str, str]:
    """A typical pair of files: a commented config with dev, and dev's keys."""
    mfa = f"mfa_serial = {user['serials'][0]}\n" if serial else ""
    config = (
        "# Work accounts\n"
        "[default]\nregion = us-west-2\n\n"
        f"[profile dev]\nregion = {region}\noutput = json\n{mfa}\n"
        "[profile prod]  \n; production, careful\nregion = eu-west-1\n"
    )
    credentials = (
        "# keys, rotated every 90 days\n"
        f"[dev]\naws_access_key_id = {user['key']}\naws_secret_access_key = {user['secret']}\n\n"
        "[prod]\naws_access_key_id = AKIAPRODPRODPRODPROD\n"
        "aws_secret_access_key = prodsecretprodsecretprodsecretprodsecret\n"
    )
    return config, credentials
