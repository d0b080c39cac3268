"""Run one page's code in processes of its own, and leave nothing of it behind.

:func:`run_page` (called by the render step) starts a **supervisor**
(``python -m literate.run supervise``), which starts the **runner**
(``python -m literate.run page``) that executes the page:

* each chain (a block and its ``cont`` blocks, as pytest-codeblocks groups
  them) runs in a fresh namespace, one after another in the runner's process,
  as ``pytest --codeblocks`` runs them; a failing chain does not stop the
  later ones. Before the first: matplotlib's defaults, the Japanese font and
  :data:`STYLE`, ``np.random.seed(0)``, one BLAS thread, warnings as errors
  (as pytest's ``filterwarnings = error``);
* what each fence prints and every figure it shows with ``plt.show()``
  (backend ``literate.figures``) is recorded in order; a fence may print at
  most :data:`MAX_TEXT` characters and a page may show at most
  :data:`MAX_PAGE` characters of figures, or the chain fails naming it.

The runner reports on a pipe of its own (which no process the page starts
inherits), so a child that keeps the page's standard output open cannot hold
the build. The supervisor runs no page code: it is the page's "subreaper"
(Linux), so every process the page starts, even one that leaves its session,
stays below it. When the runner ends, when the time limit passes, when the
page is cancelled, or when the process that called :func:`run_page` dies
(its end of the control pipe closes), the supervisor kills every process
below it and exits. Elsewhere than Linux the page's process group is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import linecache
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

STYLE = {
    "svg.hashsalt": "zerodl",
    "svg.fonttype": "path",
    "figure.figsize": (5.0, 3.5),  # shown at its own size: 480 CSS px wide, on a phone ~360
    "font.size": 13.0,  # so a 0.7-size superscript is still 9 CSS px on a phone (tests/test_figure_text.py)
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
MAX_TEXT = 1_000_000  # characters one fence may print
MAX_PAGE = 8_000_000  # characters of figures one page may show


class PageFailed(Exception):
    """The page's process could not run it to the end (the message names page and block)."""


# --- the caller's side --------------------------------------------------------------------


def _frame(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack(">I", len(payload)) + payload


def _read_exact(fd: int, n: int, deadline: float, stop) -> bytes | None:
    data = b""
    while len(data) < n:
        if stop():
            return None
        wait = min(0.25, max(0.0, deadline - time.monotonic()))
        if not select.select([fd], [], [], wait)[0]:
            if time.monotonic() >= deadline:
                return None
            continue
        chunk = os.read(fd, n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def run_page(job: dict, root: Path, time_limit: float, cancelled=lambda: False) -> dict:
    """Run ``job`` (``{"page", "chains": [[[lineno, code], ...], ...]}``) and return its result:
    ``{"chains": [{"lineno", "error", "fences": [[output, ...], ...]}], "seconds"}``.

    Raises :class:`PageFailed` when the page ends its process, overruns
    ``time_limit`` seconds or is ``cancelled()``."""
    page = job["page"]
    ctl_r, ctl_w = os.pipe()
    res_r, res_w = os.pipe()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="module://literate.figures",
               PYTHONPATH=os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1]), str(root / "src"),
                                                      os.environ.get("PYTHONPATH", "")) if p))
    log = io.BytesIO()
    with open(os.devnull, "rb") as devnull, _temp_log() as err:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "literate.run", "supervise", str(ctl_r), str(res_w)],
            stdin=devnull, stdout=err, stderr=err, env=env, cwd=root, pass_fds=(ctl_r, res_w),
            start_new_session=True)
        os.close(ctl_r)
        os.close(res_w)
        lineno, result, why = None, None, None
        try:
            os.write(ctl_w, _frame(b"J", json.dumps(dict(job, root=str(root))).encode()))
            deadline = time.monotonic() + time_limit
            while True:
                head = _read_exact(res_r, 5, deadline, cancelled)
                if head is None:
                    why = "cancelled" if cancelled() else "timeout"
                    break
                body = _read_exact(res_r, struct.unpack(">I", head[1:])[0], deadline + 60, lambda: False)
                if head[:1] == b"B":
                    lineno = int(body)
                elif head[:1] == b"R":
                    result = json.loads(body)
                    break
        except EOFError:
            pass
        finally:
            os.close(ctl_w)  # the supervisor now kills whatever the page left running
            os.close(res_r)
            try:
                supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                supervisor.kill()
                supervisor.wait()
        err.seek(0)
        log.write(err.read())
    where = f"docs/{page}" + (f", code block at line {lineno}" if lineno else "")
    if why == "cancelled":
        raise PageFailed(f"{where}: stopped, the page was changed while it ran")
    if why == "timeout":
        raise PageFailed(f"{where} did not finish within {time_limit:g} s and was stopped (an endless loop?). "
                         "A page may run at most ZERODL_EXEC_TIMEOUT seconds (default 600); make it faster or raise "
                         "the limit.")
    if result is None:
        status = supervisor.returncode
        how = f"signal {signal.Signals(status - 128).name}" if status > 128 else f"exit status {status}"
        tail = log.getvalue().decode("utf-8", "replace").strip()[-2000:]
        raise PageFailed(f"{where} ended the process that runs the page ({how}) instead of finishing. A block must "
                         "not exit the process (os._exit, os.kill, a crash in a C extension)."
                         + (f"\n{tail}" if tail else ""))
    return result


@contextlib.contextmanager
def _temp_log():
    import tempfile

    with tempfile.TemporaryFile() as handle:
        yield handle


# --- the supervisor -------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (Linux, from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_below(runner: subprocess.Popen) -> None:
    if not sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.killpg(runner.pid, signal.SIGKILL)
        return
    for _ in range(100):  # until nothing is left (a page may fork while we kill)
        pids = _descendants(os.getpid())
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while True:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if not pid:
                    break
                if pid == runner.pid:  # reaped here: tell Popen what it ended with
                    runner.returncode = os.waitstatus_to_exitcode(status)
        time.sleep(0.01)


def supervise(ctl: int, res: int) -> int:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    head = _read_exact(ctl, 5, float("inf"), lambda: False)
    job = _read_exact(ctl, struct.unpack(">I", head[1:])[0], float("inf"), lambda: False)
    runner = subprocess.Popen([sys.executable, "-m", "literate.run", "page", str(res)], stdin=subprocess.PIPE,
                              pass_fds=(res,), start_new_session=True)
    os.close(res)
    runner.stdin.write(job)
    runner.stdin.close()
    gone = threading.Event()
    threading.Thread(target=lambda: (os.read(ctl, 1), gone.set()), daemon=True).start()  # EOF: stop
    while runner.poll() is None and not gone.wait(0.05):
        pass
    _kill_below(runner)
    status = runner.returncode if runner.returncode is not None else runner.wait()
    return status if status >= 0 else 128 - status


# --- the runner -------------------------------------------------------------------------------


class OutputTooLarge(BaseException):
    """Raised inside a block that prints or shows more than a page may (not an ``Exception``:
    a block's ``except Exception`` does not swallow it)."""


class _Recorder(io.TextIOBase):
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.text: list[str] = []
        self.size = 0
        self.figures = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.size += len(text)
        if self.size > MAX_TEXT:
            raise OutputTooLarge(f"printed more than {MAX_TEXT:,} characters")
        self.text.append(text)
        return len(text)

    def flush_text(self) -> None:
        if self.text:
            self.events.append({"kind": "text", "data": "".join(self.text)})
            self.text = []

    def figure(self, svg: str, alt: str) -> None:
        self.figures += len(svg)
        if self.figures > MAX_PAGE:
            raise OutputTooLarge(f"showed more than {MAX_PAGE:,} characters of figures")
        self.flush_text()
        self.events.append({"kind": "svg", "data": svg, "alt": alt})


def _start_page() -> None:
    import matplotlib

    matplotlib.use("module://literate.figures")
    import matplotlib.pyplot as plt
    import matplotlib_fontja
    import numpy as np
    from threadpoolctl import threadpool_limits

    matplotlib.rcdefaults()
    matplotlib_fontja.japanize()
    matplotlib.rcParams.update(STYLE)
    plt.close("all")
    np.random.seed(0)  # unseeded code still gives the same page twice
    threadpool_limits(limits=1, user_api="blas")
    warnings.simplefilter("error")  # as pytest's filterwarnings = error


def _run_chain(page: str, chain: list, state: dict) -> dict:
    from literate import figures

    namespace: dict = {"__MODULE__": "__main__"}  # what pytest-codeblocks gives each test
    done: list[list[dict]] = []
    error = None
    for lineno, code in chain:
        state["report"](b"B", str(lineno).encode())
        recorder = _Recorder()
        figures.RECEIVER = recorder.figure
        name = f"docs/{page}:{lineno}"
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
        try:
            with contextlib.redirect_stdout(recorder):
                exec(compile(code, name, "exec"), namespace)
        except OutputTooLarge as exc:
            error = (f"docs/{page}, code block at line {lineno} {exc}; print a summary instead "
                     "(the site shows everything a block prints)")
        except Exception as exc:
            frames = traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next)  # not this frame
            error = f"docs/{page}, code block at line {lineno} failed:\n" + "".join(frames[-8:])
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, GeneratorExit
            error = (f"docs/{page}, code block at line {lineno} raised {type(exc).__name__}"
                     f"{f' ({exc})' if str(exc) else ''}: a block must not end the process "
                     "(no sys.exit, exit(), quit() or raise KeyboardInterrupt); let it finish")
        finally:
            figures.RECEIVER = None
        recorder.flush_text()
        done.append(recorder.events)
        if error:
            break
    import matplotlib.pyplot as plt

    plt.close("all")
    return {"lineno": chain[0][0], "error": error, "fences": done}


def _check_package(page: str, root: Path) -> str | None:
    module = sys.modules.get("zerodl")
    origin = getattr(module, "__file__", None)
    expected = (root / "src" / "zerodl").resolve()
    if origin is not None and Path(origin).resolve().parent != expected:
        return (f"docs/{page} imported zerodl from {Path(origin).parent}, not from this checkout's {expected}; "
                "its outputs would be cached under the wrong package. Do not change sys.path in a block.")
    return None


def page_main(res: int) -> int:
    os.set_inheritable(res, False)  # nothing the page starts may hold the report open
    report_file = os.fdopen(res, "wb", buffering=0)

    def report(kind: bytes, payload: bytes) -> None:
        report_file.write(_frame(kind, payload))

    os.dup2(2, 1)  # what writes to file descriptor 1 goes to the log, not into the report
    job = json.loads(sys.stdin.buffer.read())
    root, page = Path(job["root"]), job["page"]
    start = time.perf_counter()
    _start_page()
    state = {"report": report}
    chains = [_run_chain(page, chain, state) for chain in job["chains"]]
    problem = _check_package(page, root)
    if problem:
        chains[-1]["error"] = chains[-1]["error"] or problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report(b"R", json.dumps({"chains": chains, "seconds": time.perf_counter() - start}).encode())
    report_file.close()
    sys.stderr.flush()
    os._exit(0)  # threads a block left running must not keep the runner alive


if __name__ == "__main__":
    from literate import run as _self  # the importable module, not __main__

    if sys.argv[1] == "supervise":
        sys.exit(_self.supervise(int(sys.argv[2]), int(sys.argv[3])))
    sys.exit(_self.page_main(int(sys.argv[2])))
