"""`make audit`: Lighthouse on every page of the built site, as a reader's phone would see it.

Lighthouse 12.2.3 (pinned, installed with npm into ``build/lighthouse``) drives Debian's chromium
with its default mobile settings (a mid-range phone, 4x CPU slowdown, slow 4G, all simulated)
against the built site served gzip-compressed from 127.0.0.1, as GitHub Pages serves it. Writes
``docs/data/audit.json`` (read by the 性能 page at build time) and prints the table. A benchmark,
not a test: nothing here passes or fails on the numbers, and they depend on the machine, so the
file names the CPU. Usage (from the project root, PYTHONPATH=tools)::

    python -m bench.audit --site site          # a site built by `make build`
    python -m bench.audit --site site --runs 3 # the median of three runs per page
    python -m bench.audit --page 03-backprop.md --out /tmp/a.json   # one page, elsewhere
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gzip
import http.server
import io
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path

from bench.run import cpu_model
from literate.atomic import atomic_write
from literate.config import nav_pages

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "data" / "audit.json"
LIGHTHOUSE = "12.2.3"
NPM_DIR = ROOT / "build" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-background-networking --disable-component-update"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
COMPRESSED = (".html", ".css", ".js", ".mjs", ".svg", ".json", ".xml", ".ipynb", ".py", ".txt")


class AuditError(Exception):
    """The audit cannot run (the message says what to do)."""


def page_url(src: str) -> str:
    stem = src.rsplit(".", 1)[0]
    return "" if stem == "index" else stem.removesuffix("/index") + "/"


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """The site's files, text gzip-compressed when the browser accepts it; no caching headers."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix in COMPRESSED and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(path.read_bytes(), 6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return io.BytesIO(data)
        return super().send_head()


def lighthouse() -> Path:
    """The pinned Lighthouse, installed from the npm registry on first use."""
    binary = NPM_DIR / "node_modules" / ".bin" / "lighthouse"
    version = NPM_DIR / "node_modules" / "lighthouse" / "package.json"
    if not binary.is_file() or json.loads(version.read_text())["version"] != LIGHTHOUSE:
        NPM_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--prefix", str(NPM_DIR), "--no-audit", "--no-fund",
                               "-E", f"lighthouse@{LIGHTHOUSE}"], capture_output=True, text=True)
        if done.returncode != 0:
            raise AuditError(f"npm could not install lighthouse@{LIGHTHOUSE} (Node.js 18+ and npm needed):\n"
                             f"{done.stderr[-2000:]}")
    return binary


def audit_page(binary: Path, url: str) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        done = subprocess.run(
            [str(binary), url, "--quiet", "--output=json", f"--output-path={report}",
             f"--chrome-flags={CHROME_FLAGS}", f"--only-categories={','.join(CATEGORIES)}"],
            env=dict(os.environ, CHROME_PATH=CHROMIUM), capture_output=True, text=True)
        if done.returncode != 0 or not report.is_file():
            raise AuditError(f"Lighthouse failed on {url}:\n{done.stderr[-2000:]}")
        result = json.loads(report.read_text(encoding="utf-8"))
    audits = result["audits"]
    failed = sorted(name for name, a in audits.items()
                    if a.get("scoreDisplayMode") == "binary" and a.get("score") == 0)
    return {
        "scores": {name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES},
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "dom": audits["dom-size"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "failed": failed,
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median performance score (its numbers belong together)."""
    ordered = sorted(runs, key=lambda r: r["scores"]["performance"])
    return ordered[len(ordered) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (make build)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median is kept")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--page", action="append", help="only this page (docs/-relative, as in the nav); repeatable")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"no built site in {args.site}: run `make build` first (or pass --site)")
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    # A phone has Japanese fonts. Without any, chromium looks for a fallback font for every run of
    # Japanese text at each layout, and the pages measure slower than any reader's phone shows them.
    japanese = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True).stdout.strip()
    if not japanese:
        raise SystemExit("no Japanese font installed: install one as a phone has (apt-get install fonts-noto-cjk)")
    try:
        binary = lighthouse()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(args.site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        pages = []
        for src in args.page or nav_pages(ROOT, suffixes=(".md", ".py", ".ipynb")):
            run = median_run([audit_page(binary, base + page_url(src)) for _ in range(max(1, args.runs))])
            pages.append({"page": src, **run})
            s = run["scores"]
            print(f"{src:34} perf {s['performance']:3} a11y {s['accessibility']:3} bp {s['best-practices']:3} "
                  f"seo {s['seo']:3}  TBT {run['tbt_ms']:5} ms  LCP {run['lcp_ms']:5} ms  CLS {run['cls']:.3f}  "
                  f"DOM {run['dom']:5}  {run['bytes'] / 1000:6.1f} kB" + (f"  failed: {', '.join(run['failed'])}" if run["failed"] else ""),
                  flush=True)
        server.shutdown()
    except AuditError as exc:
        raise SystemExit(str(exc)) from None
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count()},
        "lighthouse": LIGHTHOUSE,
        "chromium": subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip(),
        "settings": "mobile (Lighthouse's default: simulated 4x CPU slowdown and slow 4G), gzip-served",
        "japanese_font": subprocess.run(["fc-match", "-f", "%{family[0]}", "sans-serif:lang=ja"],
                                        capture_output=True, text=True).stdout.strip(),
        "runs_per_page": max(1, args.runs),
        "pages": pages,
    }
    atomic_write(args.out, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
