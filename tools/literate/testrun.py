"""`make test`: the code-block tests and the other tests as two pytest processes side by side.

    python -m literate.testrun [-- PYTEST ARGS...]     (with PYTHONPATH=tools, as the Makefile runs it)

The code blocks of the chapters run one after another on one core (a page's
blocks depend on each other), and the site build that the other tests need runs
its pages in worker processes. Run in one pytest process, the build finished
while the code blocks still ran and one core then sat idle; the browser tests
came after both. Here:

* process 1, ``pytest docs`` and the tests in ``DOCS_SIDE``: every code block,
  recording what each page printed and drew (``literate.pytest_blocks``);
* process 2, ``pytest tests`` (the rest): starts the strict build at once
  (tests/conftest.py), runs the tests that need no build beside it, then the
  site and browser tests; ``test_build_outputs_equal_the_code_block_tests``
  compares the build's outputs with the records process 1 wrote into the
  folder named by ``ZERODL_BLOCK_RECORDS`` (one file per page, written
  atomically when the page's last code-block test has run). When process 1
  ends, this runner writes ``docs-process-exit.json`` there, so a page it never
  recorded fails the comparison at once, named, instead of being waited for.

Each process writes to a log file; the first one's log is shown as it grows,
then the second one's from its beginning, so the two outputs never interleave.
The run fails when either process fails. Plain ``pytest`` (one process) still
runs everything and compares in memory.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from literate.atomic import atomic_write

RECORDS_ENV = "ZERODL_BLOCK_RECORDS"  # the folder; literate.pytest_blocks writes and reads the records
DOCS_EXIT = "docs-process-exit.json"  # written here when the code-block process has ended

ROOT = Path(__file__).resolve().parents[2]

# Tests without the build that run in the code-block process, to even out the two
# processes' work (the other one also carries the build and the browser).
DOCS_SIDE: list[str] = ["test_claims_ch2_ch3.py", "test_mnist.py"]


def commands(extra: list[str]) -> list[tuple[str, list[str]]]:
    python = [sys.executable, "-m", "pytest"]
    side = [f"tests/{name}" for name in DOCS_SIDE]
    rest = [f"--ignore=tests/{name}" for name in DOCS_SIDE]
    return [
        ("pytest docs", [*python, "docs", *side, *extra]),
        ("pytest tests", [*python, "tests", *rest, *extra]),
    ]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _follow(log: Path, process: subprocess.Popen, out, offset: int = 0) -> int:
    """Copy what ``log`` gains to ``out`` until ``process`` has ended and all of it is copied."""
    with open(log, "rb") as handle:
        handle.seek(offset)
        while True:
            ended = process.poll() is not None
            chunk = handle.read()
            if chunk:
                out.write(chunk)
                out.flush()
            elif ended:
                return handle.tell()
            else:
                time.sleep(0.1)


def run(jobs: list[tuple[str, list[str]]], records: Path, out=None, cwd: Path = ROOT) -> int:
    """Start every job at once, each logging to a file in ``records``; show the logs one after
    another; write ``DOCS_EXIT`` into ``records`` when the first job ends. Returns 0 when every
    job passed, else 1."""
    out = out or sys.stdout.buffer
    env = dict(os.environ, **{RECORDS_ENV: str(records)})
    started = time.monotonic()
    processes: list[tuple[str, subprocess.Popen, Path]] = []
    ended: dict[int, float] = {}  # pid -> when the process was seen to have ended
    cpu: dict[int, float] = {}  # pid -> CPU seconds of the process and what it waited for (the build, the browser)
    lock = threading.Lock()
    used = [_children_cpu()]

    def watch(process: subprocess.Popen) -> None:
        process.wait()
        with lock:
            ended[process.pid] = time.monotonic()
            now = _children_cpu()
            cpu[process.pid], used[0] = now - used[0], now

    try:
        for name, command in jobs:
            log = records / f"{name.replace(' ', '-')}.log"
            with open(log, "wb") as handle:
                process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)
            processes.append((name, process, log))
            threading.Thread(target=watch, args=(process,), daemon=True).start()
        results = []
        for i, (name, process, log) in enumerate(processes):
            shown = " ".join(["python", *process.args[1:]])
            out.write(f"\n===== {name}: {shown}{' (ran beside the one above)' if i else ''} =====\n".encode())
            out.flush()
            _follow(log, process, out)
            returncode = process.wait()
            if i == 0:
                atomic_write(records / DOCS_EXIT, json.dumps({"returncode": returncode}))
            while process.pid not in ended:  # its watcher is about to note the time and CPU
                time.sleep(0.01)
            results.append((name, returncode, ended[process.pid] - started, cpu[process.pid]))
    except BaseException:
        for _, process, _ in processes:  # interrupted: stop what this runner started, nothing else
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for _, process, _ in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise
    seconds = time.monotonic() - started
    summary = ", ".join(f"{name}: {'passed' if code == 0 else f'FAILED (exit status {code})'} after {took:.0f} s "
                        f"({seconds_cpu:.0f} s CPU)" for name, code, took, seconds_cpu in results)
    out.write(f"\n===== {summary}; {seconds:.0f} s wall time =====\n".encode())
    out.flush()
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    with tempfile.TemporaryDirectory(prefix="zerodl-test-") as records:
        return run(commands(argv), Path(records))


if __name__ == "__main__":
    sys.exit(main())
