"""``make demo``: the main job on a machine with no AWS account.

A throw-away home gets sample ~/.aws files, moto's server plays STS and
IAM on loopback, and the workflow runs from its own info.plist exactly as
Alfred would run it: the list, the typed code, Enter. Secrets are masked
in everything printed.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from alfred import Alfred, python_env  # noqa: E402
from localsts import LocalSts  # noqa: E402

from afwf_mfa.logs import mask  # noqa: E402

CONFIG = """\
# Work accounts. The AWS CLI reads this file, and so does the workflow.
[default]
region = us-west-2

[profile dev]
region = eu-central-1
output = json

[profile admin]
# a role that is assumed with dev's keys
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = dev
"""

CREDENTIALS = """\
# Long-term keys; rotate every 90 days.
[default]
aws_access_key_id = AKIAIOSFODNN7DEFAULT
aws_secret_access_key = defaultsecretdefaultsecretdefaultsecret00

[dev]
aws_access_key_id = {key}
aws_secret_access_key = {secret}
"""


def show_items(alfred: Alfred, typed: str) -> list[dict]:
    items = alfred.items(typed)
    print(f"\n$ Alfred: mfa {typed}")
    for item in items:
        mark = "⏎" if item.get("valid", True) else " "
        print(f"  {mark} {item['title']}")
        if item.get("subtitle"):
            print(f"      {item['subtitle']}")
    return items


def section(text: str, header: str) -> str:
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("["):
            inside = line == header
        if inside:
            lines.append(line)
    return mask("\n".join(lines))


def sample_home(home: Path, sts: LocalSts) -> Alfred:
    """Sample ~/.aws files for a new IAM user in ``sts``, and the workflow pointed at both."""
    user = sts.create_user("alice")
    (home / ".aws").mkdir()
    (home / ".aws/config").write_text(CONFIG)
    (home / ".aws/credentials").write_text(CREDENTIALS.format(**user))
    (home / ".aws/credentials").chmod(0o600)
    return Alfred(home, {**python_env(), **sts.endpoint_env()})


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="afwf_mfa-demo-") as tmp, LocalSts() as sts:
        home = Path(tmp)
        alfred = sample_home(home, sts)
        print(f"A throw-away home at {home}, a local STS at {sts.url}")

        show_items(alfred, "")
        show_items(alfred, "dev ")
        items = show_items(alfred, "dev 123456")

        print("\n$ Alfred: Enter")
        outputs = alfred.enter(items[0])
        for title, text in outputs.notifications:
            print(f"  notification: {title}\n                {text}")
        print(f"  clipboard:    {outputs.clipboard[0] if outputs.clipboard else '(nothing)'}")

        print("\n~/.aws/credentials now has (secrets masked):")
        print(section((home / ".aws/credentials").read_text(), "[dev_mfa]"))
        print("\n~/.aws/config now has:")
        config = (home / ".aws/config").read_text()
        print(section(config, "[profile dev_mfa]"))
        print(section(config, "[profile admin_mfa]"))

        show_items(alfred, "")
        print(f"\nThe hotkey opens Alfred on: mfa {alfred.hotkey().reopened[0]!r}")

        env = {
            "HOME": str(home),
            "PATH": os.environ["PATH"],
            "AWS_EC2_METADATA_DISABLED": "true",
            **sts.endpoint_env(),
        }
        aws = Path(sys.executable).with_name("aws")
        print("\n$ aws sts get-caller-identity --profile dev_mfa")
        result = subprocess.run(
            [str(aws), "sts", "get-caller-identity", "--profile", "dev_mfa"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        print(mask(result.stdout or result.stderr).rstrip())
        ok = result.returncode == 0 and bool(outputs.clipboard)
        if ok:
            json.loads(result.stdout)
        print("\nThe local STS is stopped and the throw-away home removed.")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
