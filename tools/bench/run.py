"""`make bench`: measure the training step, MNIST loading and the site build.

Writes ``docs/data/benchmark.json`` (read by the 性能 page at build time) and
prints a short table. Benchmarks, not tests: nothing here passes or fails on
the numbers. Usage (from the project root, PYTHONPATH=tools)::

    python -m bench.run                  # everything (a few minutes)
    python -m bench.run --skip-build     # only the step and MNIST benchmarks
    python -m bench.run --with-test      # also time the whole test suite
    python -m bench.run --append         # keep this CPU's earlier runs too

The file holds every machine measured: the newest run at the top level (the
shape the 高速化 page reads), the earlier ones under ``"earlier"``, newest
first. A run replaces the earlier runs on the same CPU model (other machines
are always kept); with ``--append`` it is added beside them instead.

The step benchmark runs once per thread count (``--threads``, default 1 and
all cores), in a child process with ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` removed from its environment (OpenBLAS then picks the
kernel for this processor; ``--keep-openblas-env`` keeps them), and with
``OMP_WAIT_POLICY=PASSIVE`` and ``OPENBLAS_THREAD_TIMEOUT=4`` so that idle
threads of one library do not spin on the cores the other one needs. The
kernel that ran and these settings are recorded. Builds and tests run with the environment as it is.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from literate.atomic import atomic_write

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "data" / "benchmark.json"
HERE = Path(__file__).resolve().parent
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# Idle BLAS/OpenMP threads sleep instead of spinning (see main()).
IDLE_THREADS_SLEEP = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "4"}
# What a build needs from the project; the copy gets an empty execution cache.
BUILD_INPUTS = ("docs", "tools", "src", "mkdocs.yml", "pyproject.toml", "README.md")  # README: the wheel's description
PROSE_EDIT_PAGE = "docs/01-gradient-descent.md"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine() -> dict:
    import numpy

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch_version,
        "openblas_env": {name: os.environ.get(name) for name in OPENBLAS_VARS},
        "load_average_before": os.getloadavg(),
    }


def child(args: list[str], env: dict[str, str]) -> dict:
    """Run a benchmark script in a fresh interpreter and return its JSON."""
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"benchmark failed: {' '.join(args)}\n{result.stdout}\n{result.stderr}")
    sys.stderr.write(result.stderr)
    return json.loads(result.stdout)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def build_times() -> dict:
    """Cold build (empty execution cache) and, as `mkdocs serve` does it, the rebuild
    after a prose-only edit, in a copy."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env.pop("MPLBACKEND", None)
    with tempfile.TemporaryDirectory(prefix="zerodl-bench-") as tmp:
        copy = Path(tmp) / "project"
        copy.mkdir()
        for name in BUILD_INPUTS:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, copy / name)
        env["ZERODL_EXEC_CACHE"] = str(Path(tmp) / "exec-cache")
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(Path(tmp) / "site")]
        print("  cold build ...", file=sys.stderr, flush=True)
        cold = timed(command, copy, env)
        pages = {}  # each page's run in that build, as its cache entry recorded it (pages ran two at a time)
        for entry in sorted((Path(tmp) / "exec-cache" / "pages").glob("*.json")):
            data = json.loads(entry.read_text(encoding="utf-8"))
            pages[data["page"]] = round(data["result"]["seconds"], 1)
        print("  mkdocs serve: a prose edit and a code edit, until the page shows them ...", file=sys.stderr, flush=True)
        serve = serve_edit_times(copy, env)
    return {
        "cold_build_s": cold,
        "page_seconds": pages,
        "prose_edit_rebuild_s": serve["prose"],
        "code_edit_rebuild_s": serve["code"],
        "prose_edit_rebuild_how": "mkdocs serve, from the save until the served page shows the edit",
        "prose_edit_page": PROSE_EDIT_PAGE,
    }


def serve_edit_times(copy: Path, env: dict[str, str], port: int = 8765) -> dict:
    """Seconds from a save to the served page showing it, under `mkdocs serve`: a sentence added to the
    prose, then a changed print in a block that exports nothing (its page runs again)."""
    import urllib.request

    url = f"http://127.0.0.1:{port}/{Path(PROSE_EDIT_PAGE).stem}/"
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                              cwd=copy, env=dict(env, ZERODL_SITE_URL=f"http://127.0.0.1:{port}/"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_for(text: str, limit: float = 300.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < limit:
            try:
                if text in urllib.request.urlopen(url, timeout=5).read().decode("utf-8"):
                    return time.perf_counter() - start
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"mkdocs serve did not show {text!r} within {limit:.0f} s")

    try:
        wait_for("</html>", 600)
        page = copy / PROSE_EDIT_PAGE
        time.sleep(1.0)
        page.write_text(page.read_text(encoding="utf-8") + "\nベンチマークのための一文です。\n", encoding="utf-8")
        prose = wait_for("ベンチマークのための一文です。")
        text = page.read_text(encoding="utf-8")
        marker = "print(f\"lr={lr}"
        assert marker in text, f"{PROSE_EDIT_PAGE} no longer has the block the benchmark edits"
        page.write_text(text.replace(marker, "print(\"bench-edit\")\n    " + marker, 1), encoding="utf-8")
        code = wait_for("bench-edit")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"prose": prose, "code": code}


def test_time() -> dict:
    """Time the whole test suite as `make test` runs it (plain pytest) with an empty execution cache;
    its failures are reported, not fatal (this is a benchmark)."""
    print("  test suite ...", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cache = tempfile.mkdtemp(prefix="zerodl-bench-cache-")
    env = dict(os.environ, ZERODL_EXEC_CACHE=cache)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or [""])[-1].strip("= ")
    shutil.rmtree(cache, ignore_errors=True)
    return {"test_suite_s": elapsed, "test_command": "make test (python -m pytest), empty execution cache",
            "test_summary": summary}


def runs_in(path: Path) -> list[dict]:
    """Every run stored in ``path``, newest first (the top-level one, then ``"earlier"``)."""
    if not path.exists():
        return []
    stored = json.loads(path.read_text(encoding="utf-8"))
    earlier = stored.pop("earlier", [])
    return [stored, *earlier]


def with_earlier(report: dict, stored: list[dict], append: bool) -> dict:
    """``report`` at the top level, the stored runs it does not replace under ``"earlier"``.

    A run replaces the stored runs on the same CPU model, unless ``append``;
    a run with the same CPU model and date is always replaced.
    """
    cpu, date = report["machine"]["cpu"], report["date"]
    kept = [r for r in stored if r["machine"]["cpu"] != cpu or (append and r["date"] != date)]
    return dict(report, earlier=kept) if kept else report


def table(report: dict) -> str:
    """The short text table printed at the end of `make bench`."""
    lines = [f"{report['date']}  {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"NumPy {report['machine']['numpy']}, PyTorch {report['machine']['torch']}, "
             f"OpenBLAS kernel {kernel(report['runs'][0])}"]
    for run in report["runs"]:
        lines.append(f"{run['threads']} thread(s)   {'textbook':>9} {'fast':>8} {'torch fused':>12} {'torch dflt':>11}"
                     f" {'fast/fused':>10} {'fast/dflt':>9} {'GFLOP/s':>8} {'fast/floor':>10}   (ms per step)")
        for s in run["steps"]:
            ms, ratio = s["ms"], s["ratio"]
            lines.append(f"{s['dtype']:8} {s['batch']:>5} {ms['textbook']:9.3f} {ms['fast']:8.3f} {ms['torch_fused']:12.3f}"
                         f" {ms['torch_default']:11.3f} {ratio['fast/torch_fused']:10.2f} {ratio['fast/torch_default']:9.2f}"
                         f" {s['matmul_gflops']:8.0f} {ratio['fast/matmul']:10.2f}")
    mnist = report.get("mnist", {})
    if "first_s" in mnist:
        lines.append(f"MNIST: first load {mnist['first_s']:.2f} s, cached load {mnist['cached_s']:.3f} s")
    build = report.get("build") or {}
    if "cold_build_s" in build:
        lines.append(f"site: cold build {build['cold_build_s']:.1f} s, rebuild after a prose edit {build['prose_edit_rebuild_s']:.1f} s"
                     f" ({'mkdocs serve' if 'prose_edit_rebuild_how' in build else 'mkdocs build'})")
    if "test_suite_s" in build:
        lines.append(f"tests: {build['test_suite_s']:.0f} s")
    return "\n".join(lines)


def kernel(run: dict) -> str:
    for lib in run["blas"]:
        if lib.get("internal_api") == "openblas":
            return str(lib.get("architecture"))
    return "?"


def thread_counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",")})
    except ValueError:
        counts = []
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1 or 1,2; got {text!r}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads",
        type=thread_counts,
        default=thread_counts(f"1,{os.cpu_count() or 1}"),
        help="comma-separated thread counts, each used for both NumPy's BLAS and PyTorch (default: 1 and all cores)",
    )
    parser.add_argument("--rounds", type=int, default=25, help="interleaved rounds per configuration (median)")
    parser.add_argument("--skip-build", action="store_true", help="do not time the site build")
    parser.add_argument("--with-test", action="store_true", help="also time the test suite (slow)")
    parser.add_argument("--keep-openblas-env", action="store_true", help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for the step benchmark")
    parser.add_argument("--append", action="store_true",
                        help="keep the earlier runs on this CPU model too (other machines are always kept)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    stored = runs_in(args.out)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    step_env = dict(os.environ)
    if not args.keep_openblas_env:
        for name in OPENBLAS_VARS:
            step_env.pop(name, None)
    # NumPy (OpenBLAS threads) and PyTorch (OpenMP threads) take turns in one
    # process. Idle threads that spin keep a core busy while the other library
    # works: on 2 cores that halved NumPy's matmul speed and made PyTorch's step
    # up to 6x slower. Let idle threads sleep instead, in both libraries.
    step_env.update({name: value for name, value in IDLE_THREADS_SLEEP.items() if name not in os.environ})
    report["step_env"] = {name: step_env.get(name) for name in (*OPENBLAS_VARS, *IDLE_THREADS_SLEEP)}
    report["runs"] = []
    for threads in args.threads:
        print(f"step benchmarks, {threads} thread(s) ...", file=sys.stderr, flush=True)
        run = child([str(HERE / "step.py"), "--threads", str(threads), "--rounds", str(args.rounds)], step_env)
        run["openblas_env_removed"] = not args.keep_openblas_env
        configured = dict(os.environ, **{k: v for k, v in IDLE_THREADS_SLEEP.items() if k not in os.environ})
        run["kernels"] = {
            "as_configured": child([str(HERE / "step.py"), "--kernel-only", "--threads", str(threads)], configured),
            "auto": child([str(HERE / "step.py"), "--kernel-only", "--threads", str(threads)], step_env),
        }
        report["runs"].append(run)
    print("MNIST ...", file=sys.stderr, flush=True)
    report["mnist"] = child([str(HERE / "mnist_load.py")], dict(os.environ))
    report["build"] = {}
    if not args.skip_build:
        print("site build ...", file=sys.stderr, flush=True)
        report["build"] = build_times()
    else:  # keep the last build timings on this CPU, marked as such
        previous = next((r for r in stored if r["machine"]["cpu"] == report["machine"]["cpu"]), {})
        build = previous.get("build") or {}
        if "cold_build_s" in build:
            report["build"] = dict(build, measured_on=build.get("measured_on", previous.get("date")))
    if args.with_test:
        report["build"].update(test_time())
    report["machine"]["load_average_after"] = os.getloadavg()
    atomic_write(args.out, json.dumps(with_earlier(report, stored, args.append), indent=1, ensure_ascii=False) + "\n")
    print(table(report))
    print(f"written: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
