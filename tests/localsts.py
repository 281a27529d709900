"""A real STS and IAM over HTTP on loopback: moto's server, started and stopped by us."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import botocore.session

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("moto_server exited before it listened")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("moto_server did not listen in time")


class IamUser(dict):
    """A user's name, keys and device serials; its repr leaves the keys out of test output."""

    def __repr__(self) -> str:
        return f"IamUser({self['name']!r})"


class LocalSts:
    """moto_server on 127.0.0.1 at a free port, with helpers to make IAM users."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> "LocalSts":
        server = Path(sys.executable).with_name("moto_server")
        self.process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"},
        )
        _wait_for(self.port, self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def endpoint_env(self) -> dict[str, str]:
        """The variables that point botocore (and the AWS CLI) at this server."""
        return {"AWS_ENDPOINT_URL_STS": self.url, "AWS_ENDPOINT_URL_IAM": self.url}

    def client(self, service: str, key: str = "admin", secret: str = "admin", token=None):
        session = botocore.session.Session()
        return session.create_client(
            service,
            region_name=REGION,
            endpoint_url=self.url,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
        )

    def create_user(self, name: str, devices: int = 1, path: str = "/") -> dict:
        """An IAM user with an access key and ``devices`` virtual MFA devices."""
        iam = self.client("iam")
        iam.create_user(UserName=name, Path=path)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        serials = []
        for n in range(devices):
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-phone{n}")
            serial = device["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(
                UserName=name,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
            serials.append(serial)
        return IamUser(
            name=name,
            key=key["AccessKeyId"],
            secret=key["SecretAccessKey"],
            serials=serials,
        )
