"""``make bench``: what a keystroke and a login cost, against the floor and the usual tools.

The floor is starting Python and importing afwf (``python -c "import
afwf.api"``): no Script Filter written with afwf can answer faster. Each
keystroke runs exactly as Alfred runs the Script Filter (bash, the script
from info.plist, the query as ``$1``, Alfred's variables) in temporary
homes with 10 to 10,000 profiles. A login through the workflow is set
against aws-mfa (from PyPI, in a throw-away virtual environment under
``.venv-bench/``) and the AWS CLI's bare ``aws sts get-session-token``, all
three against the same local STS (moto's server on 127.0.0.1) and the same
files. Every case runs once to warm up, then the cases take turns, in a
shuffled order each round, so that a slow moment of the machine spreads
over all of them. The table goes to stdout and to ``docs/benchmarks.md``.

Run it as ``python tests/benchmark.py`` (``--runs`` and ``--sizes`` make a
quicker pass); it is not collected by pytest.
"""

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from alfred import ROOT, RUN_SCRIPT, Alfred, python_env  # noqa: E402
from localsts import LocalSts  # noqa: E402

from afwf_mfa.profiles import CACHE_NAME  # noqa: E402

SIZES = (10, 100, 1_000, 10_000)
LOGIN_SIZE = 1_000
RUNS = 15
# Parsing 10,000 profiles takes a while; fewer runs keep the whole
# benchmark within a few minutes on two cores.
RUNS_LARGEST = 7
WORK_RUNS = 5
WORK_RUNS_LARGEST = 3
CODE = "123456"
FILTER = "p1"

AWS_MFA = "aws-mfa==0.0.12"
BENCH_VENVS = ROOT / ".venv-bench"
DOC = ROOT / "docs" / "benchmarks.md"

# The targets, as ratios of medians (and megabytes for memory).
KEYSTROKE_OVER_FLOOR = 1.10
LOGIN_OVER_AWS_MFA = 1.10
LOGIN_OVER_AWS_CLI = 0.65
MEMORY_OVER_FLOOR_MB = 10
# Growing no faster than linearly: each profile added between 1,000 and
# 10,000 costs no more than one added between 10 and 1,000, with some room
# for the noise of a shared machine.
GROWTH_TOLERANCE = 1.5
GROWTH_NOISE_US = 10  # 10 ms over 1,000 profiles

# The floor as the workflow meets it: only the afwf modules it imports, with
# the collector off as main.py has it. For reference; the targets use the
# floor as defined, ``import afwf.api``.
OWN_FLOOR = "floor, only the afwf modules the workflow imports"
OWN_FLOOR_CODE = "import gc; gc.disable(); import afwf.item, afwf.script_filter"

# The rows that are keystrokes, warm or after a change.
KEYSTROKE_ROWS = ("keystroke", "first keystroke")

# What a keystroke must never import: the client and session machinery.
FORBIDDEN = ("boto3", "botocore.session", "botocore.client")

REGIONS = ["eu-central-1", "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]


# -- the files ------------------------------------------------------------


def _key(i: int) -> str:
    return f"AKIA{i:016d}"


def _secret(i: int) -> str:
    return f"{i:08d}" + "s" * 32


def profile_name(i: int) -> str:
    return f"p{i}"


def aws_files(count: int, user: dict) -> tuple[str, str]:
    """A config and a credentials file with ``count`` profiles, as people keep them.

    Comments and blank lines between teams, a region on most profiles, an
    ``mfa_serial`` on every third, a few profiles that cannot sign in with
    MFA (roles, SSO, credential_process), some keys with no config section,
    and existing MFA sessions of this workflow, some valid and some expired.
    The middle profile holds ``user``'s real keys and device, and expired
    sessions of this workflow and of aws-mfa.
    """
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    config = [
        "# AWS CLI configuration; profiles are grouped by team.",
        "[default]",
        "region = us-east-1",
        "output = json",
        "",
    ]
    credentials = [
        "# Long-term keys. Rotate every 90 days.",
        "[default]",
        f"aws_access_key_id = {_key(999_999)}",
        f"aws_secret_access_key = {_secret(999_999)}",
        "",
    ]
    middle = count // 2
    for i in range(count):
        name = profile_name(i)
        if i % 25 == 0:
            config += [f"# team {i // 25}: accounts {i} to {i + 24}", ""]
            credentials += [f"# team {i // 25}", ""]
        kind = i % 20
        region = REGIONS[i % len(REGIONS)]
        if i == middle:
            config += [f"[profile {name}]", f"region = {region}", "output = json"]
            config += [f"mfa_serial = {user['serials'][0]}", ""]
            credentials += [f"[{name}]", f"aws_access_key_id = {user['key']}"]
            credentials += [f"aws_secret_access_key = {user['secret']}", ""]
            # Yesterday's sessions, expired: the login replaces one (this
            # workflow's, or aws-mfa's in aws-mfa's own form), as on most days.
            yesterday = now - dt.timedelta(hours=14)
            credentials += [f"[{name}_mfa]", f"aws_access_key_id = ASIA{i:016d}"]
            credentials += [f"aws_secret_access_key = {_secret(i)}"]
            credentials += [f"aws_session_token = {'t' * 300}"]
            credentials += [f"expiration = {yesterday.isoformat()}", f"afwf_mfa_base = {name}", ""]
            config += [f"[profile {name}_mfa]", f"region = {region}", "output = json"]
            config += [f"afwf_mfa_base = {name}", ""]
            credentials += [f"[{name}-mfa]", "assumed_role = False"]
            credentials += [
                f"aws_access_key_id = ASIA{i:016d}",
                f"aws_secret_access_key = {_secret(i)}",
            ]
            credentials += [
                f"aws_session_token = {'t' * 300}",
                f"aws_security_token = {'t' * 300}",
            ]
            credentials += [f"expiration = {yesterday:%Y-%m-%d %H:%M:%S}", ""]
            continue
        if kind == 14:
            config += [f"[profile {name}]", "; admin role, assumed with the profile before"]
            config += [f"role_arn = arn:aws:iam::{i:012d}:role/admin"]
            config += [f"source_profile = {profile_name(i - 1)}", f"region = {region}", ""]
            continue
        if kind == 15:
            config += [f"[profile {name}]", "sso_start_url = https://example.awsapps.com/start"]
            config += ["sso_region = us-east-1", f"sso_account_id = {i:012d}"]
            config += ["sso_role_name = ReadOnly", f"region = {region}", ""]
            continue
        if kind == 16:
            config += [f"[profile {name}]", "credential_process = /usr/local/bin/vault-creds"]
            config += [f"region = {region}", ""]
            continue
        if kind < 17:
            config += [f"[profile {name}]", f"region = {region}"]
            if i % 2:
                config.append("output = json")
            if i % 3 == 0:
                config.append(f"mfa_serial = arn:aws:iam::{i:012d}:mfa/{name}")
            config.append("")
        credentials += [f"[{name}]", f"aws_access_key_id = {_key(i)}"]
        credentials += [f"aws_secret_access_key = {_secret(i)}", ""]
        if i % 50 == 1:
            # An MFA session this workflow wrote: valid for some, expired for others.
            left = dt.timedelta(hours=6 if i % 100 == 1 else -30)
            expiration = (now + left).astimezone().isoformat()
            credentials += [f"[{name}_mfa]", f"aws_access_key_id = ASIA{i:016d}"]
            credentials += [f"aws_secret_access_key = {_secret(i)}"]
            credentials += [f"aws_session_token = {'t' * 300}", f"expiration = {expiration}"]
            credentials += [f"afwf_mfa_base = {name}", ""]
            config += [f"[profile {name}_mfa]", f"region = {region}"]
            config += [f"afwf_mfa_base = {name}", ""]
    return "\n".join(config) + "\n", "\n".join(credentials) + "\n"


class Home:
    """A temporary home with one pair of AWS files, which can be put back as they were."""

    def __init__(self, path: Path, config: str, credentials: str):
        self.path = path
        self.config_bytes = config.encode()
        self.credentials_bytes = credentials.encode()
        (path / ".aws").mkdir(parents=True)
        self.restore()

    @property
    def config(self) -> Path:
        return self.path / ".aws/config"

    @property
    def credentials(self) -> Path:
        return self.path / ".aws/credentials"

    def restore(self) -> None:
        self.config.write_bytes(self.config_bytes)
        self.credentials.write_bytes(self.credentials_bytes)
        self.credentials.chmod(0o600)

    def touch_config(self) -> None:
        stamp = time.time_ns()
        os.utime(self.config, ns=(stamp, stamp))

    def append_to_credentials(self) -> None:
        with open(self.credentials, "a", encoding="utf-8") as f:
            f.write("# checked\n")


# -- running and timing ---------------------------------------------------


@dataclasses.dataclass
class Run:
    seconds: float
    max_rss_kb: int
    status: int
    stdout: str
    stderr: str


# A child's peak memory as the kernel counts it includes the image it was
# forked from, and this process holds botocore; /usr/bin/time is small, so the
# peak it reports for its own child is the command's alone.
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_timed(argv: list[str], env: dict, cwd: Path, stdin: str = "") -> Run:
    """Run ``argv`` to its end; its wall time and its peak memory (of it and its children)."""
    with tempfile.TemporaryDirectory(prefix="run-") as tmp:
        files = {name: Path(tmp, name) for name in ("in", "out", "err", "rss")}
        files["in"].write_text(stdin)
        if TIME:
            argv = [TIME, "-f", "%M", "-o", str(files["rss"]), *argv]
        with open(files["in"], "rb") as inp, open(files["out"], "wb") as out:
            with open(files["err"], "wb") as err:
                start = time.perf_counter()
                status = subprocess.call(argv, cwd=cwd, env=env, stdin=inp, stdout=out, stderr=err)
                seconds = time.perf_counter() - start
        rss = files["rss"].read_text().split() if TIME else []
        return Run(
            seconds,
            int(rss[-1]) if rss and rss[-1].isdigit() else -1,
            status,
            files["out"].read_text(errors="replace"),
            files["err"].read_text(errors="replace"),
        )


@dataclasses.dataclass
class Case:
    """One thing to time: a command, what to do before each run, and how to check it."""

    name: str
    size: int | None
    argv: list[str]
    env: dict
    cwd: Path = ROOT
    stdin: str = ""
    runs: int = RUNS
    prepare: Callable[[], None] = lambda: None
    check: Callable[[Run], str | None] = lambda run: None
    results: list[Run] = dataclasses.field(default_factory=list)

    def once(self, warming_up: bool = False) -> Run:
        """One timed run; a failed run, or one that did not do what it should, stops all."""
        self.prepare()
        run = run_timed(self.argv, self.env, self.cwd, self.stdin)
        problem = f"exit status {run.status}" if run.status else None
        if not warming_up:
            problem = problem or self.check(run)
        if problem:
            raise RuntimeError(f"{self.name} ({self.size}): {problem}\n{run.stderr[-2000:]}")
        return run

    def times(self) -> list[float]:
        return [r.seconds for r in self.results]

    def median(self) -> float:
        return statistics.median(self.times())

    def rss_mb(self) -> float | None:
        if any(r.max_rss_kb < 0 for r in self.results):
            return None
        return statistics.median(r.max_rss_kb for r in self.results) / 1024


def cache_stamp(alfred: Alfred) -> tuple | None:
    try:
        st = os.stat(alfred.cache_dir / CACHE_NAME)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


# The same command in one interpreter whose imports are done before the
# clock starts: the work that depends on the number of profiles, without
# the noise of starting Python.
WORK_DRIVER = """
import sys, time
sys.path.insert(0, ".")
from afwf_mfa import cli, logs, profiles, query, settings, store, timetext, views
start = time.perf_counter()
status = cli.main(["filter", sys.argv[1]])
print(f"work-seconds: {time.perf_counter() - start}", file=sys.stderr)
sys.exit(status)
"""


def work_seconds(run: Run) -> float:
    lines = [line for line in run.stderr.splitlines() if line.startswith("work-seconds: ")]
    return float(lines[-1].split()[-1])


def keystroke_case(
    name, size, alfred: Alfred, query: str, *, miss: Callable | None = None, work=False
):
    """The keyword's Script Filter for ``query``; on a warm cache, or after ``miss``.

    With ``work``, only the part after the imports is timed, in the process.
    """
    script = alfred.keyword_filter()["config"]["script"]
    before = {}
    if work:
        argv = [alfred.env()["python_path"], "-c", WORK_DRIVER, query]
    else:
        argv = ["/bin/bash", "-c", script, "bash", query]

    def prepare():
        if miss:
            miss()
        before["cache"] = cache_stamp(alfred)

    def check(run: Run) -> str | None:
        items = json.loads(run.stdout)["items"]
        if not items or any("icons/error.png" in str(i.get("icon")) for i in items):
            return f"unexpected items: {items[:2]}"
        changed = cache_stamp(alfred) != before["cache"]
        if miss and not changed:
            return "the cache was not refreshed after the files changed"
        if not miss and changed:
            return "the cache was written on what should be a warm keystroke"
        return None

    if work:
        runs = WORK_RUNS_LARGEST if size == max(SIZES) else WORK_RUNS
    else:
        runs = RUNS_LARGEST if size == max(SIZES) else RUNS
    return Case(
        name,
        size,
        argv,
        alfred.env(),
        alfred.folder,
        runs=runs,
        prepare=prepare,
        check=check,
    )


# -- aws-mfa in its own throw-away environment ---------------------------


def aws_mfa_command() -> Path:
    """aws-mfa, installed once under .venv-bench/ with the project's boto3 and botocore."""
    pins = [
        AWS_MFA,
        f"boto3=={importlib.metadata.version('boto3')}",
        f"botocore=={importlib.metadata.version('botocore')}",
    ]
    venv = BENCH_VENVS / "aws-mfa"
    stamp = venv / ".installed"
    if not stamp.is_file() or stamp.read_text() != " ".join(pins):
        shutil.rmtree(venv, ignore_errors=True)
        print(f"Installing {' '.join(pins)} into {venv.relative_to(ROOT)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin/python"), "-m", "pip", "install", "--quiet"]
            + ["--disable-pip-version-check", *pins],
            check=True,
        )
        stamp.write_text(" ".join(pins))
    return venv / "bin/aws-mfa"


# -- what a keystroke imports ----------------------------------------------


def imports_of(case: Case) -> dict[str, tuple[int, int]]:
    """Every module ``case`` imports, with its own and cumulative import time in µs."""
    case.prepare()
    run = run_timed(case.argv, {**case.env, "PYTHONPROFILEIMPORTTIME": "1"}, case.cwd)
    problem = f"exit status {run.status}" if run.status else case.check(run)
    if problem:
        raise RuntimeError(f"{case.name} with PYTHONPROFILEIMPORTTIME: {problem}")
    modules = {}
    for line in run.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if match:
            modules[match[4]] = (int(match[1]), int(match[2]))
    return modules


def import_report(floor: Case, keystrokes: list[Case]) -> tuple[list[str], list[str]]:
    """Lines on what keystrokes import beyond the floor, and any forbidden import."""
    floor_modules = imports_of(floor)
    lines, violations = [], []
    for case in keystrokes:
        modules = imports_of(case)
        bad = [m for m in modules if m in FORBIDDEN or m.startswith("boto3.")]
        if bad:
            violations.append(f"{case.name}: imports {', '.join(sorted(bad))}")
        extra = {m: t for m, t in modules.items() if m not in floor_modules}
        by_package: dict[str, int] = {}
        for module, (own, _) in extra.items():
            top = module.split(".")[0]
            by_package[top] = by_package.get(top, 0) + own
        total = sum(by_package.values())
        heaviest = sorted(by_package.items(), key=lambda kv: -kv[1])[:6]
        parts = ", ".join(f"{name} {us / 1000:.1f}" for name, us in heaviest)
        lines.append(
            f"| {case.name} | {len(extra)} | {total / 1000:.1f} | {parts} | "
            f"{'none' if not bad else ', '.join(bad)} |"
        )
    return lines, violations


# -- the report ------------------------------------------------------------


def machine(context: dict) -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("afwf", "pydantic", "botocore", "boto3", "awscli", "moto")
    )
    before, after = context["load"]
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores",
        f"- System: {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}; {AWS_MFA}",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}",
        f"- Code: {context['version']}",
        f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{x:.2f}' for x in before)};"
        f" at the end: {', '.join(f'{x:.2f}' for x in after)}",
    ]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def pairs(values: list) -> list[tuple]:
    """Each value with the next one."""
    return [(values[i], values[i + 1]) for i in range(len(values) - 1)]


def per_profile_us(points: list[tuple[int, float]]) -> list[float]:
    """Between each size and the next: the added seconds per added profile, in µs."""
    return [(b_t - a_t) / (b - a) * 1e6 for (a, a_t), (b, b_t) in pairs(points)]


def mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


ROW_MEANINGS = [
    "What each row measures:",
    "",
    '- **floor**: `python -c "import afwf.api"` with the project\'s interpreter:',
    "  starting Python and importing the workflow framework's API, the cost",
    "  every Script Filter on afwf starts from; the targets are ratios to it.",
    "  The workflow imports only the afwf modules it uses and runs with the",
    "  garbage collector off, so with few profiles a keystroke can take less.",
    f'- **{OWN_FLOOR}**: `python -c "{OWN_FLOOR_CODE}"`, that',
    "  smaller start, for reference: what a keystroke costs above it is all",
    "  the workflow's own work.",
    "- **keystroke, …**: the `mfa` Script Filter run as Alfred runs it: bash",
    '  runs the script from `info.plist` (`./launch.sh filter "$1"`) in the',
    "  workflow folder with Alfred's variables and the query as `$1`; the",
    "  Python is the configured one and already remembered, and the parsed",
    "  profiles are in the cache folder from the keystroke before.",
    f"  *empty* is `mfa`, *filter* is `mfa {FILTER}`, *code* is `mfa <profile> {CODE}`.",
    "- **first keystroke after …**: `mfa` right after the config file's",
    "  modification time changed, or after a line was appended to the",
    "  credentials file: the cached profiles no longer match, so both files",
    "  are parsed again and the cache rewritten.",
    f"- **login (workflow)**: Enter on the item of `mfa <profile> {CODE}`: the login",
    "  Run Script from `info.plist` with the item's argument (a new code each",
    "  run), right after the Script Filter showed that item, as in Alfred. The",
    "  device is known from `mfa_serial`; the run includes reading the",
    "  profile's keys, the STS call and writing the session into both files",
    "  (locked, atomic, every other byte kept) in place of yesterday's",
    "  expired one.",
    "- **login (workflow) after the files changed**: the same, but both files",
    "  were written again (same bytes, new modification time) between the",
    "  Script Filter and Enter, so the cached profiles no longer match and",
    "  the login parses both files in full first. Reported for reference.",
    "- **login (aws-mfa)**: `aws-mfa --profile <profile> --device <serial>",
    "  --long-term-suffix none --short-term-suffix mfa --force`, the code on",
    "  its standard input. It rewrites the credentials file only, replacing",
    "  its own expired session there.",
    "- **aws sts get-session-token**: the AWS CLI's bare call with",
    "  `--serial-number` and `--token-code`; it prints the session and writes",
    "  nothing.",
    "",
    f"The logins use the same {LOGIN_SIZE:,}-profile files, each in a home of its",
    "own that is put back to the same bytes before every run, and the same",
    "local STS (moto's server on 127.0.0.1, reached through",
    "`AWS_ENDPOINT_URL_STS`). The workflow runs from a copy of the repository",
    "taken at the start, as Alfred runs an installed copy.",
]


def times_table(cases: list[Case], floor: Case) -> list[str]:
    out = [
        "| case | profiles | runs | min ms | median ms | max ms | × floor | min × floor "
        "| peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        times = case.times()
        out.append(
            f"| {case.name} | {case.size if case.size is not None else ''} | {len(times)} "
            f"| {ms(min(times))} | {ms(case.median())} | {ms(max(times))} "
            f"| {case.median() / floor.median():.2f} | {min(times) / min(floor.times()):.2f} "
            f"| {mb(case.rss_mb())} |"
        )
    return out


def targets_table(cases, floor, logins, violations, work: dict) -> list[str]:
    out = ["| target | measured | goal | |", "|---|---:|---:|---|"]
    by_key = {(c.name, c.size): c for c in cases}
    names = list(dict.fromkeys(c.name for c in cases if c.name.startswith(KEYSTROKE_ROWS)))
    for name in names:
        case = by_key.get((name, LOGIN_SIZE))
        if not case:
            continue
        ratio = case.median() / floor.median()
        if name.startswith("keystroke"):
            out.append(
                f"| {name}, {LOGIN_SIZE:,} profiles / floor | {ratio:.2f} "
                f"| ≤ {KEYSTROKE_OVER_FLOOR:.2f} | {verdict(ratio <= KEYSTROKE_OVER_FLOOR)} |"
            )
        else:
            out.append(f"| ({name}, {LOGIN_SIZE:,} profiles / floor) | {ratio:.2f} | | |")
    own = next((c for c in cases if c.name == OWN_FLOOR), None)
    for name in names:
        case = by_key.get((name, LOGIN_SIZE))
        if own and case and name.startswith("keystroke"):
            ratio = case.median() / own.median()
            out.append(f"| ({name}, {LOGIN_SIZE:,} profiles / {OWN_FLOOR}) | {ratio:.2f} | | |")
    for name in names:
        points = work.get(name, [])
        sizes = [size for size, _ in points]
        if LOGIN_SIZE not in sizes or sizes[0] >= LOGIN_SIZE or sizes[-1] <= LOGIN_SIZE:
            continue
        middle = sizes.index(LOGIN_SIZE)
        earlier = per_profile_us([points[0], points[middle]])[0]
        last = per_profile_us([points[middle], points[-1]])[0]
        ok = last <= GROWTH_TOLERANCE * earlier + GROWTH_NOISE_US
        out.append(
            f"| {name}: µs per profile added, {LOGIN_SIZE:,}→{sizes[-1]:,} "
            f"/ {sizes[0]:,}→{LOGIN_SIZE:,} (work after the imports) "
            f"| {last:.1f} / {earlier:.1f} | ≤ {GROWTH_TOLERANCE} × + {GROWTH_NOISE_US} "
            f"| {verdict(ok)} |"
        )
    if logins:
        login = logins["workflow"].median()
        for label, key, goal in (
            ("login / aws-mfa's login", "aws-mfa", LOGIN_OVER_AWS_MFA),
            ("login / AWS CLI's get-session-token", "aws-cli", LOGIN_OVER_AWS_CLI),
        ):
            ratio = login / logins[key].median()
            out.append(f"| {label} | {ratio:.2f} | ≤ {goal:.2f} | {verdict(ratio <= goal)} |")
        changed = logins["workflow, changed"].median()
        for label, key in (("aws-mfa's login", "aws-mfa"), ("AWS CLI's call", "aws-cli")):
            ratio = changed / logins[key].median()
            out.append(f"| (login after the files changed / {label}) | {ratio:.2f} | | |")
        ratio = logins["aws-mfa"].median() / logins["aws-cli"].median()
        out.append(f"| (aws-mfa's login / AWS CLI's call) | {ratio:.2f} | | |")
    # Memory: every keystroke at 1,000 profiles and the warm ones at every
    # size are held to the goal; a first keystroke after a change at another
    # size is shown for reference (botocore's parse of 10,000 profiles alone
    # takes tens of MB).
    for case in cases:
        if not case.name.startswith(KEYSTROKE_ROWS):
            continue
        judged = case.size == LOGIN_SIZE or case.name.startswith("keystroke")
        label = f"peak memory, {case.name}, {case.size:,} profiles − floor"
        if case.rss_mb() is None or floor.rss_mb() is None:
            out.append(f"| {label} | not measured (no /usr/bin/time) | | |")
            continue
        extra = case.rss_mb() - floor.rss_mb()
        if judged:
            out.append(
                f"| {label} | {extra:+.1f} MB "
                f"| ≤ {MEMORY_OVER_FLOOR_MB} MB | {verdict(extra <= MEMORY_OVER_FLOOR_MB)} |"
            )
        else:
            out.append(f"| ({label}) | {extra:+.1f} MB | | |")
    out.append(
        f"| keystrokes importing {', '.join(FORBIDDEN)} | {len(violations)} | 0 "
        f"| {verdict(not violations)} |"
    )
    return out


def growth_table(title_points: dict[str, list[tuple[int, float]]]) -> list[str]:
    sizes = sorted({size for points in title_points.values() for size, _ in points})
    out = [
        "| case | "
        + " | ".join(f"{size:,}" for size in sizes)
        + " | "
        + " | ".join(f"µs/profile {a:,}→{b:,}" for a, b in pairs(sizes))
        + " |",
        "|---|" + "---:|" * (2 * len(sizes) - 1),
    ]
    for name, points in title_points.items():
        if [size for size, _ in points] != sizes:
            continue
        steps = per_profile_us(points)
        out.append(
            f"| {name} | "
            + " | ".join(ms(t) for _, t in points)
            + " | "
            + " | ".join(f"{step:.1f}" for step in steps)
            + " |"
        )
    return out


def median_points(cases: list[Case], value=Case.median) -> dict[str, list[tuple[int, float]]]:
    """For each keystroke kind, (number of profiles, median) from the smallest size up."""
    points: dict[str, list[tuple[int, float]]] = {}
    keystrokes = [c for c in cases if c.name.startswith(KEYSTROKE_ROWS)]
    for case in sorted(keystrokes, key=lambda c: c.size):
        points.setdefault(case.name, []).append((case.size, value(case)))
    return points


def work_median(case: Case) -> float:
    return statistics.median(work_seconds(run) for run in case.results)


def report(cases, floor: Case, logins: dict[str, Case], imports, violations, context) -> str:
    work = median_points(context["work"], work_median)
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "What a keystroke in `mfa` and a login cost, measured by `make bench`",
            "(`tests/benchmark.py`). Each row is run several times, all rows taking",
            "turns in a shuffled order, so that a busy moment of the machine touches",
            "every row alike. Times are wall-clock milliseconds from starting the",
            "process to its exit; *× floor* is the ratio of medians, *min × floor*",
            "that of the fastest runs, which noise from other work on the machine",
            "cannot lower. Memory is the peak resident size of the process and its",
            "children (the median over the runs), as `/usr/bin/time` reports it:",
            "every row, the floor too, is started through it.",
            "",
            "## Machine",
            "",
            *machine(context),
            "",
            "## Times",
            "",
            *times_table(cases, floor),
            "",
            *ROW_MEANINGS,
            "",
            "## Targets",
            "",
            *targets_table(cases, floor, logins, violations, work),
            "",
            "## Growth with the number of profiles",
            "",
            "The median of each keystroke in ms at each size, then what each added",
            "profile costs between one size and the next, in µs (the growth of the",
            "median divided by the number of profiles added). Linear growth keeps",
            "that cost level; it should not rise with the size.",
            "",
            *growth_table(median_points(cases)),
            "",
            "Whole keystrokes differ by less than their noise between 10 and 1,000",
            "profiles, so the growth target is judged on the work alone: the same",
            "command in one Python process, its imports done before the clock",
            'starts (`cli.main(["filter", query])`, the median of a few runs,',
            "in ms). It holds when a profile added between 1,000 and 10,000 costs",
            f"at most {GROWTH_TOLERANCE} times one added between 10 and 1,000, plus "
            f"{GROWTH_NOISE_US} µs.",
            "",
            *growth_table(work),
            "",
            f"## What a keystroke imports beyond the floor ({LOGIN_SIZE:,} profiles)",
            "",
            "From one more run of each with `PYTHONPROFILEIMPORTTIME=1`: the modules",
            "that the floor does not import, and their own import time by top-level",
            "package (ms, one run, so only indicative).",
            "",
            "| case | modules | ms | heaviest packages (ms) | forbidden imports |",
            "|---|---:|---:|---|---|",
            *imports,
            "",
        ]
    )


# -- the benchmark ---------------------------------------------------------


def installed_copy(folder: Path) -> Path:
    """A copy of the workflow, as Alfred keeps one installed.

    Edits made to the repository while the benchmark runs do not change
    what it measures.
    """
    shutil.copytree(
        ROOT,
        folder,
        ignore=shutil.ignore_patterns(
            ".*", "tests", "docs", "__pycache__", "*.egg-info", "build", "dist"
        ),
    )
    return folder


def code_version() -> str:
    """The commit measured, and whether the work tree had changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head} with uncommitted changes" if changed else head or "unknown"


def build(sts: LocalSts, tmp: Path, sizes, runs: int, aws_mfa: Path):
    python = python_env()["python_path"]
    base_env = {
        "python_path": python,
        "AWS_EC2_METADATA_DISABLED": "true",
        **sts.endpoint_env(),
    }
    user = sts.create_user("bench")
    serial = user["serials"][0]
    workflow = installed_copy(tmp / "workflow")
    floor_alfred = Alfred(tmp / "floor", base_env, workflow)
    floor = Case("floor", None, [python, "-c", "import afwf.api"], floor_alfred.env(), ROOT)
    own_floor = Case(OWN_FLOOR, None, [python, "-c", OWN_FLOOR_CODE], floor_alfred.env(), ROOT)
    cases = [floor, own_floor]
    import_cases = []
    work_cases = []

    for size in sizes:
        config, credentials = aws_files(size, user)
        home = Home(tmp / f"home-{size}", config, credentials)
        alfred = Alfred(home.path, base_env, workflow)
        middle = profile_name(size // 2)
        kinds = [
            ("keystroke, empty", "", None),
            ("keystroke, filter", FILTER, None),
            ("keystroke, code", f"{middle} {CODE}", None),
            ("first keystroke after config touched", "", home.touch_config),
            ("first keystroke after credentials appended", "", home.append_to_credentials),
        ]
        for name, query, miss in kinds:
            cases.append(keystroke_case(name, size, alfred, query, miss=miss))
            work_cases.append(keystroke_case(name, size, alfred, query, miss=miss, work=True))
        if size == LOGIN_SIZE:
            for query in ("", FILTER, f"{middle} {CODE}"):
                typed = f"mfa {query}".strip()
                import_cases.append(keystroke_case(f"`{typed}`, warm", size, alfred, query))
                import_cases.append(
                    keystroke_case(
                        f"`{typed}`, after a change",
                        size,
                        alfred,
                        query,
                        miss=home.touch_config,
                    )
                )

    logins = {}
    if LOGIN_SIZE in sizes:
        config, credentials = aws_files(LOGIN_SIZE, user)
        middle = profile_name(LOGIN_SIZE // 2)

        codes = iter(range(200_000, 1_000_000, 7))

        def workflow_login(label: str, folder: str, changed: bool) -> Case:
            home = Home(tmp / folder, config, credentials)
            alfred = Alfred(home.path, base_env, workflow)
            (destination,) = [
                c for c in alfred.connections(alfred.keyword_filter()["uid"]) if not c["modifiers"]
            ]
            login_script = alfred.objects[destination["destinationuid"]]
            assert login_script["type"] == RUN_SCRIPT
            argv = ["/bin/bash", "-c", login_script["config"]["script"], "bash", ""]

            def before_login():
                # A fresh code each time, as a person types it (the workflow
                # refuses a code it has just used): Alfred runs the Script
                # Filter on the typed text, and Enter hands over the item's
                # own argument. With ``changed``, the files are written again
                # (the same bytes, a new modification time) between the two.
                home.restore()
                (item,) = alfred.items(f"{middle} {next(codes)}")
                argv[-1] = item["arg"]
                if changed:
                    home.restore()

            def login_ok(run: Run) -> str | None:
                variables = json.loads(run.stdout)["alfredworkflow"]["variables"]
                if variables["outcome"] != "ok":
                    return f"{variables['notification_title']}: {variables['notification_text']}"
                return None

            return Case(
                label,
                LOGIN_SIZE,
                argv,
                alfred.env(),
                alfred.folder,
                prepare=before_login,
                check=login_ok,
            )

        logins["workflow"] = workflow_login("login (workflow)", "login-workflow", False)
        logins["workflow, changed"] = workflow_login(
            "login (workflow) after the files changed", "login-workflow-changed", True
        )

        plain_env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "AWS_EC2_METADATA_DISABLED": "true",
            **sts.endpoint_env(),
        }
        home = Home(tmp / "login-aws-mfa", config, credentials)

        def aws_mfa_ok(run: Run, home=home) -> str | None:
            text = home.credentials.read_bytes()
            if text == home.credentials_bytes or f"[{middle}-mfa]".encode() not in text:
                return "the session was not written"
            return None

        logins["aws-mfa"] = Case(
            "login (aws-mfa)",
            LOGIN_SIZE,
            [str(aws_mfa), "--profile", middle, "--device", serial]
            + ["--long-term-suffix", "none", "--short-term-suffix", "mfa", "--force"],
            {**plain_env, "HOME": str(home.path)},
            home.path,
            stdin=CODE + "\n",
            prepare=home.restore,
            check=aws_mfa_ok,
        )

        home = Home(tmp / "login-aws-cli", config, credentials)

        def aws_cli_ok(run: Run) -> str | None:
            return None if json.loads(run.stdout).get("Credentials") else "no credentials"

        logins["aws-cli"] = Case(
            "aws sts get-session-token",
            LOGIN_SIZE,
            [str(Path(python).with_name("aws")), "sts", "get-session-token"]
            + ["--profile", middle, "--serial-number", serial, "--token-code", CODE],
            {**plain_env, "HOME": str(home.path)},
            home.path,
            prepare=home.restore,
            check=aws_cli_ok,
        )
        cases += logins.values()

    for case in cases + work_cases:
        case.runs = min(case.runs, runs)
    return floor, cases, logins, import_cases, work_cases


def in_turns(cases: list[Case], label: str) -> None:
    """Run every case its number of times, all taking turns in a shuffled order."""
    rng = random.Random(5)  # noqa: S311 - an order to run in, not a secret
    rounds = max(c.runs for c in cases)
    for round_ in range(rounds):
        order = [c for c in cases if c.runs > round_]
        rng.shuffle(order)
        for case in order:
            case.results.append(case.once())
        print(f"  {label} {round_ + 1}/{rounds}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each case at most")
    parser.add_argument(
        "--sizes",
        type=lambda text: tuple(int(s) for s in text.split(",")),
        default=SIZES,
        help="numbers of profiles, comma-separated",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not write the docs page")
    args = parser.parse_args(argv)

    aws_mfa = aws_mfa_command()
    version = code_version()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="afwf_mfa-bench-") as tmp, LocalSts() as sts:
        floor, cases, logins, import_cases, work_cases = build(
            sts, Path(tmp), args.sizes, args.runs, aws_mfa
        )
        load_before = os.getloadavg()
        print(f"{len(cases)} cases; warming up ...", flush=True)
        for case in cases:
            case.once(warming_up=True)
        in_turns(cases, "round")
        print("The work after the imports, in the process ...", flush=True)
        in_turns(work_cases, "work round")
        imports, violations = import_report(floor, import_cases) if import_cases else ([], [])
        load = (load_before, os.getloadavg())

    context = {"version": version, "load": load, "work": work_cases}
    text = report(cases, floor, logins, imports, violations, context) if logins else None
    if text is None:
        for case in cases:
            print(f"{case.name} ({case.size}): median {ms(case.median())} ms")
        return 0
    print()
    print(text)
    print(f"({time.monotonic() - started:.0f} s)")
    if not args.no_doc:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text)
        print(f"Written to {DOC.relative_to(ROOT)}")
    for violation in violations:
        print(f"FORBIDDEN IMPORT: {violation}", file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
