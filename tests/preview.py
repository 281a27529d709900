"""``make preview``: pictures of what Alfred shows, from the workflow's real output.

The sample home of ``make demo`` and the local STS are set up, the workflow
runs from its own info.plist for a few queries and a login, and each Script
Filter answer is laid out as an Alfred-like window in HTML and photographed
by headless Chromium into ``docs/preview-*.png``, which the README shows.
"""

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from alfred import ROOT  # noqa: E402
from demo import sample_home  # noqa: E402
from localsts import LocalSts  # noqa: E402

DOCS = ROOT / "docs"
WIDTH = 760
ROW = 62

PAGE = """<!doctype html><meta charset="utf-8"><style>
body {{ margin: 0; background: #d9dde3; font: 15px -apple-system, "Helvetica Neue",
  "DejaVu Sans", sans-serif; }}
.window {{ margin: 16px; width: {width}px; background: #f6f6f7; border-radius: 12px;
  box-shadow: 0 10px 30px rgba(0,0,0,.25); overflow: hidden; }}
.query {{ font-size: 26px; padding: 14px 18px; color: #222; border-bottom: 1px solid #ddd; }}
.row {{ display: flex; align-items: center; height: {row}px; padding: 0 14px; }}
.row.selected {{ background: #dfe8f7; }}
.row img {{ width: 40px; height: 40px; margin-right: 12px; }}
.title {{ font-size: 18px; color: #111; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.subtitle {{ font-size: 13px; color: #666; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.text {{ min-width: 0; flex: 1; }}
.key {{ color: #888; font-size: 13px; margin-left: 10px; }}
</style><div class="window"><div class="query">{query}</div>{rows}</div>"""


def page(query: str, items: list[dict]) -> str:
    """An Alfred-like window with ``items`` as the Script Filter printed them."""
    rows = []
    for n, item in enumerate(items[:9]):
        icon = (ROOT / item.get("icon", {}).get("path", "icons/icon.png")).as_uri()
        key = "↩" if item.get("valid", True) else ""
        rows.append(
            f'<div class="row{" selected" if n == 0 else ""}"><img src="{icon}">'
            f'<div class="text"><div class="title">{html.escape(item["title"])}</div>'
            f'<div class="subtitle">{html.escape(item.get("subtitle", ""))}</div></div>'
            f'<div class="key">{key}</div></div>'
        )
    return PAGE.format(width=WIDTH, row=ROW, query=html.escape(query), rows="".join(rows))


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("make preview needs Chromium: apt-get install chromium")


def shoot(browser: str, html_file: Path, png: Path, rows: int) -> None:
    height = 32 + 62 + rows * ROW + 8
    profile = tempfile.mkdtemp(prefix="afwf_mfa-chromium-")
    try:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size={WIDTH + 32},{height}",
                f"--screenshot={png}",
                html_file.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    browser = chromium()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="afwf_mfa-preview-") as tmp, LocalSts() as sts:
        alfred = sample_home(Path(tmp), sts)
        shots = [("list", "mfa ", alfred.items(""))]
        shots.append(("code", "mfa dev ", alfred.items("dev ")))
        shots.append(("missing", "mfa dev 123", alfred.items("dev 123")))
        ready = alfred.items("dev 123456")
        shots.append(("ready", "mfa dev 123456", ready))
        alfred.enter(ready[0])
        shots.append(("session", "mfa ", alfred.items("")))

        for name, query, items in shots:
            html_file = Path(tmp) / f"{name}.html"
            html_file.write_text(page(query, items), encoding="utf-8")
            png = DOCS / f"preview-{name}.png"
            shoot(browser, html_file, png, min(len(items), 9))
            print(f"{png.relative_to(ROOT)}: mfa {query[4:]!r}, {len(items)} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
