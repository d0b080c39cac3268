"""Run the Python blocks of one page at build time.

All blocks of a page run in one namespace, in order. What a block prints and
every figure it shows with ``plt.show()`` are recorded as that block's outputs.
A failing block raises :class:`BlockError` naming the page and line, which fails
the build.

Results are cached by a hash of everything that can change them: the page's
code, the tangled package ``src/zerodl``, the files under ``docs/data/``
whose path the page's code names (e.g. the committed benchmark results),
this file and the library versions.
A prose-only edit therefore re-renders the page without running anything.
Set ``ZERODL_EXEC_CACHE=off`` to always execute, or to a folder to cache there.

Pages run with one BLAS thread. The chapters' matrices are small, so a second
thread gains little even on an idle machine, while on a busy one OpenBLAS
threads fighting for the cores make training several times slower. One thread
also makes every number on the page the same on every machine (a parallel
matmul sums in a different order).

Every page runs in a fresh Python process (a worker), never in the build
process: a block that ends its process (``sys.exit``, ``os._exit``, a crash)
or runs forever fails the build naming the page and the block, and cannot take
the build down with it. A build runs the pages that are not cached side by
side (``prefetch``, called by the MkDocs hook before any page is rendered; the
longest pages of the last build start first). On two cores the slowest chapter
then runs while the others run beside it. ``ZERODL_EXEC_JOBS`` sets how many
run at once (default: the number of cores); with ``ZERODL_EXEC_JOBS=1`` each
page runs in its worker when the build reaches it. A page gets at most
``ZERODL_EXEC_TIMEOUT`` seconds (default 600). Workers import ``zerodl`` from
the checkout's ``src/`` (the package the cache key hashes), and die with the
build process.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.thread  # before _register_exit_hook below: see there
import contextlib
import ctypes
import hashlib
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from literate.atomic import atomic_write
from literate.fences import Block

CACHE_FORMAT = 1
DEFAULT_TIME_LIMIT = 600.0  # seconds per page; ZERODL_EXEC_TIMEOUT overrides it

# Matplotlib writes a timestamp and its URL into SVG metadata; drop them so two
# builds give the same bytes (they would also land in the search index).
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
STYLE = {
    "svg.hashsalt": "zerodl",
    "svg.fonttype": "path",
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


class BlockError(Exception):
    """A code block failed while the site was built."""


@dataclass(frozen=True)
class Output:
    kind: str  # "text" or "svg"
    data: str
    alt: str = ""  # for figures: their titles, used as the image's alt text


def cache_dir(project_root: Path) -> Path | None:
    setting = os.environ.get("ZERODL_EXEC_CACHE", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    return Path(setting) if setting else project_root / ".cache" / "zerodl-exec"


def cache_key(page: str, blocks: list[Block], project_root: Path) -> str:
    import matplotlib
    import numpy

    h = hashlib.sha256()
    for part in (
        str(CACHE_FORMAT),
        page,
        sys.version,
        numpy.__version__,
        matplotlib.__version__,
        Path(__file__).read_text(encoding="utf-8"),
    ):
        h.update(part.encode() + b"\0")
    for block in blocks:
        h.update(block.code.encode() + b"\0")
    code = "\n".join(block.code for block in blocks)
    data = [p for p in (project_root / "docs" / "data").rglob("*") if p.is_file()]
    hash_files(h, project_root, package_files(project_root))
    hash_files(h, project_root, sorted(p for p in data if p.relative_to(project_root).as_posix() in code))
    return h.hexdigest()


def package_files(project_root: Path) -> list[Path]:
    """The modules of the tangled package, whose changes invalidate executed pages."""
    return sorted((project_root / "src" / "zerodl").rglob("*.py"))


def hash_files(h: "hashlib._Hash", project_root: Path, paths: list[Path]) -> None:
    """Feed each file's project-relative name and bytes into ``h``."""
    for path in paths:
        h.update(path.relative_to(project_root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def _entry(page: str, project_root: Path) -> Path | None:
    directory = cache_dir(project_root)
    return directory / f"{page.replace('/', '__')}.json" if directory else None


def _cached(page: str, key: str, project_root: Path) -> list[list[Output]] | None:
    entry = _entry(page, project_root)
    if entry is None or not entry.exists():
        return None
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("key") != key:
        return None
    return [[Output(**o) for o in outs] for outs in stored["outputs"]]


def jobs() -> int:
    """How many pages ``prefetch`` runs at once (``ZERODL_EXEC_JOBS``, default: the number of cores)."""
    setting = os.environ.get("ZERODL_EXEC_JOBS", "").strip()
    if not setting:
        return os.cpu_count() or 1
    if not setting.isdigit() or int(setting) < 1:
        raise ValueError(f"ZERODL_EXEC_JOBS must be a whole number >= 1 (1: one page at a time); got {setting!r}")
    return int(setting)


def time_limit() -> float:
    """Seconds a page may run (``ZERODL_EXEC_TIMEOUT``, default 600) before the build fails."""
    setting = os.environ.get("ZERODL_EXEC_TIMEOUT", "").strip()
    if not setting:
        return DEFAULT_TIME_LIMIT
    try:
        value = float(setting)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError(f"ZERODL_EXEC_TIMEOUT must be a number of seconds > 0; got {setting!r}")
    return value


class WorkerError(Exception):
    """A worker process could not be started or was stopped with the build."""


_threads: concurrent.futures.ThreadPoolExecutor | None = None
_pending: dict[tuple[str, str], concurrent.futures.Future] = {}
_live: set[subprocess.Popen] = set()  # running workers, killed when the build stops
_live_lock = threading.Lock()


def _times_file(project_root: Path) -> Path:
    """Seconds each page took when it last ran: only used to start the longest first."""
    return project_root / ".cache" / "zerodl-exec-seconds.json"


def _read_times(project_root: Path) -> dict[str, float]:
    try:
        times = json.loads(_times_file(project_root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return times if isinstance(times, dict) else {}


def prefetch(pages: list[tuple[str, list[Block]]], project_root: Path) -> None:
    """Start running, in worker processes, the pages whose outputs are not cached.

    Returns at once; ``run_page`` collects each page's outputs when the build
    reaches it. Does nothing with ``ZERODL_EXEC_JOBS=1`` (``run_page`` then
    runs each page's worker itself).
    """
    global _threads
    workers = jobs()
    time_limit()  # a bad setting fails the build before anything runs
    if workers < 2:
        return
    todo = []
    for page, blocks in pages:
        key = cache_key(page, blocks, project_root)
        if (page, key) not in _pending and _cached(page, key, project_root) is None:
            todo.append((page, blocks, key))
    if not todo:
        return
    times = _read_times(project_root)
    todo.sort(key=lambda job: -float(times.get(job[0], 0)))  # stable: unknown pages keep their order
    if _threads is None:
        _threads = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zerodl-exec")
    for page, blocks, key in todo:
        _pending[page, key] = _threads.submit(_run_in_worker, page, blocks, project_root)


def shutdown() -> None:
    """End of a build: drop pages that were never collected, stop their workers and the threads."""
    global _threads
    for future in _pending.values():
        future.cancel()
    _pending.clear()
    _kill_live_workers()
    if _threads is not None:
        _threads.shutdown(wait=True, cancel_futures=True)
        _threads = None


def _kill(process: subprocess.Popen) -> None:
    """Kill a worker and everything it started (it leads its own process group)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _kill_live_workers() -> None:
    with _live_lock:
        for process in list(_live):
            _kill(process)


def _register_exit_hook() -> None:
    """Kill running workers when the build process exits (Ctrl-C on ``mkdocs serve``).

    Hooks registered with ``threading._register_atexit`` run in reverse order,
    before the interpreter joins the worker threads; registered after
    ``concurrent.futures.thread`` (imported above), this one runs before that
    module's join, which would otherwise wait for every running page. Should the
    build process be killed outright, the workers die with it (``_die_with_parent``).
    """
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        register(_kill_live_workers)
    else:  # pragma: no cover - older Pythons
        import atexit

        atexit.register(_kill_live_workers)


_register_exit_hook()


def worker_pythonpath(project_root: Path) -> str:
    """PYTHONPATH of a worker: the tools, then the checkout's ``src/`` (the package
    the cache key hashes, ahead of any installed ``zerodl``), then the inherited one."""
    tools = str(Path(__file__).resolve().parents[1])
    src = str(Path(project_root).resolve() / "src")
    return os.pathsep.join(p for p in (tools, src, os.environ.get("PYTHONPATH", "")) if p)


def _run_in_worker(page: str, blocks: list[Block], project_root: Path) -> tuple[list[list[Output]], float]:
    """``execute`` in a fresh interpreter (``python -m literate.execute``).

    The job goes in on stdin; the worker reports on its stdout the line of each
    block as it starts it, then the result. The worker leads its own process
    group, so a page that overruns the time limit is killed with anything it
    started. Raises ``BlockError`` for anything but a result.
    """
    limit = time_limit()
    env = dict(os.environ, PYTHONPATH=worker_pythonpath(project_root), ZERODL_EXEC_PARENT=str(os.getpid()))
    with _live_lock:
        process = subprocess.Popen(
            [sys.executable, "-m", "literate.execute"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        _live.add(process)
    timed_out = False
    try:
        try:
            out, err = process.communicate(pickle.dumps((page, blocks, str(project_root))), timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(process)
            out, err = process.communicate()
    finally:
        _kill(process)  # also whatever the page left running in its process group
        process.wait()
        with _live_lock:
            _live.discard(process)
    lineno, payload = _read_report(out)
    stderr = err.decode("utf-8", "replace").strip()[-2000:]
    where = f"docs/{page}" if lineno is None else f"docs/{page}, code block at line {lineno}"
    if timed_out:
        raise BlockError(
            f"{where} did not finish within {limit:g} s and was stopped (an endless loop?). "
            "A page may run at most ZERODL_EXEC_TIMEOUT seconds (default 600); make it faster "
            "or raise the limit."
        )
    if payload is None:
        status = process.returncode
        how = f"signal {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
        if lineno is None:
            raise BlockError(f"{where}: the worker process that runs the page failed to start ({how}):\n{stderr}")
        raise BlockError(
            f"{where} ended the process that runs the page ({how}) instead of finishing. "
            "A block must not exit the process (os._exit, os.kill, a crash in a C extension)."
            + (f"\n{stderr}" if stderr else "")
        )
    status, value, seconds = pickle.loads(payload)
    if status == "error":
        raise BlockError(value)
    return [[Output(**o) for o in outs] for outs in value], seconds


def _read_report(out: bytes) -> tuple[int | None, bytes | None]:
    """The line of the last block a worker started, and its pickled result (None if it has none)."""
    lineno = None
    while out:
        line, _, rest = out.partition(b"\n")
        if line == b"result":
            return lineno, rest
        if line.startswith(b"block ") and line[6:].isdigit():
            lineno = int(line[6:])
        out = rest
    return lineno, None


def _die_with_parent() -> None:
    """End this worker when the build process that started it goes away."""
    parent = int(os.environ.get("ZERODL_EXEC_PARENT", "0") or 0)
    if sys.platform.startswith("linux"):
        try:  # the kernel kills us when the parent dies: prctl(PR_SET_PDEATHSIG, SIGKILL)
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if not parent:
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(3)

    def watch() -> None:  # everywhere else (and for good measure): look every second
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="zerodl-exec-watch", daemon=True).start()


def _worker_main() -> None:
    _die_with_parent()
    report = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # whatever writes to file descriptor 1 lands in stderr, not in the report
    page, blocks, root = pickle.loads(sys.stdin.buffer.read())
    start = time.perf_counter()
    try:
        outputs = execute(page, blocks, Path(root), on_block=lambda b: report.write(b"block %d\n" % b.lineno))
        payload = ("ok", [[o.__dict__ for o in outs] for outs in outputs], time.perf_counter() - start)
    except BlockError as exc:
        payload = ("error", str(exc), 0.0)
    report.write(b"result\n" + pickle.dumps(payload))
    report.close()
    sys.stderr.flush()
    os._exit(0)  # threads a block left running must not keep the worker alive


def run_page(page: str, blocks: list[Block], project_root: Path) -> list[list[Output]]:
    """Outputs of each block of ``page`` (from the cache when nothing changed).

    The page runs in a worker process (started by ``prefetch``, or here);
    anything but a result from it raises ``BlockError``: there is no second try
    in the build process.
    """
    entry = _entry(page, project_root)
    key = cache_key(page, blocks, project_root)
    outputs = _cached(page, key, project_root)
    if outputs is not None:
        return outputs
    future = _pending.pop((page, key), None)
    if future is not None:
        outputs, seconds = future.result()
    else:
        outputs, seconds = _run_in_worker(page, blocks, project_root)
    times = _read_times(project_root)
    times[page] = round(seconds, 2)
    try:
        atomic_write(_times_file(project_root), json.dumps(times, indent=1, sort_keys=True))
    except OSError:
        pass  # only a scheduling hint
    if entry is not None:
        payload = {"key": key, "outputs": [[o.__dict__ for o in outs] for outs in outputs]}
        atomic_write(entry, json.dumps(payload, ensure_ascii=False))
    return outputs


def execute(
    page: str, blocks: list[Block], project_root: Path, on_block: "Callable[[Block], object] | None" = None
) -> list[list[Output]]:
    """Run the blocks in one fresh namespace and record what each one shows.

    ``on_block(block)`` is called as each block starts (the worker reports it,
    so that a block that never returns can be named).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja
    import numpy as np

    matplotlib.rcdefaults()
    matplotlib_fontja.japanize()
    matplotlib.rcParams.update(STYLE)
    plt.close("all")
    for name in [m for m in sys.modules if m == "zerodl" or m.startswith("zerodl.")]:
        del sys.modules[name]  # `mkdocs serve` may have imported an older tangle
    np.random.seed(0)  # unseeded code still gives the same page twice

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        outputs = _run_blocks(page, blocks, plt, on_block)
    _check_package(page, project_root)
    return outputs


def _check_package(page: str, project_root: Path) -> None:
    """The page must have used the checkout's ``src/zerodl``: that is what the cache key hashes."""
    module = sys.modules.get("zerodl")
    origin = getattr(module, "__file__", None)
    if origin is None:
        return
    expected = (Path(project_root) / "src" / "zerodl").resolve()
    if Path(origin).resolve().parent != expected:
        raise BlockError(
            f"docs/{page} imported zerodl from {Path(origin).parent}, not from this checkout's {expected}; "
            "its outputs would be cached under the wrong package. Run the build from this checkout "
            "(the workers put its src/ first on PYTHONPATH) and do not change sys.path in a block."
        )


def draw_open_figures(plt) -> list[Output]:
    """Every open figure as SVG with the build's settings, then closed: what ``plt.show()`` shows.

    Shared with the code-block tests (literate.pytest_blocks), whose figures must be the same bytes.
    """
    outputs = []
    for number in plt.get_fignums():
        figure = plt.figure(number)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=SVG_METADATA)
        outputs.append(Output("svg", buffer.getvalue(), _titles(figure)))
        plt.close(figure)
    return outputs


def _run_blocks(page: str, blocks: list[Block], plt, on_block=None) -> list[list[Output]]:
    namespace: dict[str, object] = {"__name__": "__zerodl_page__"}
    results: list[list[Output]] = []
    original_show = plt.show
    for block in blocks:
        if on_block is not None:
            on_block(block)
        events: list[Output] = []
        stdout = io.StringIO()

        def flush_text() -> None:
            text = stdout.getvalue()
            if text:
                events.append(Output("text", text))
                stdout.seek(0)
                stdout.truncate()

        def show(*args: object, **kwargs: object) -> None:
            flush_text()
            events.extend(draw_open_figures(plt))

        plt.show = show
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
                warnings.simplefilter("always")
                exec(compile(block.code, f"{page}:{block.lineno}", "exec"), namespace)
            flush_text()
        except Exception as exc:
            detail = "".join(traceback.format_exception(exc)[-6:])
            raise BlockError(
                f"docs/{page}, code block at line {block.lineno} failed:\n{detail}"
            ) from exc
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, GeneratorExit
            raise BlockError(
                f"docs/{page}, code block at line {block.lineno} raised {type(exc).__name__}"
                f"{f' ({exc})' if str(exc) else ''}: a block must not end the process "
                "(no sys.exit, exit(), quit() or raise KeyboardInterrupt); let it finish"
            ) from exc
        finally:
            plt.show = original_show
        glyphs = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        if glyphs:
            raise BlockError(f"docs/{page}, code block at line {block.lineno}: {glyphs[0]}")
        results.append(events)
    plt.close("all")
    return results


def _titles(figure: object) -> str:
    """The figure's suptitle and axes titles, joined: a figure's natural alt text."""
    titles = [figure._suptitle.get_text()] if getattr(figure, "_suptitle", None) else []
    titles += [ax.get_title() for ax in figure.axes if ax.get_title()]
    return " / ".join(titles)


if __name__ == "__main__":  # a worker started by _run_in_worker
    from literate.execute import _worker_main as main  # the importable module, not __main__

    main()
