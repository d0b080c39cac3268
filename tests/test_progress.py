"""zerodl.progress (本サイトの第2章): a bar where someone watches, nothing in tests and builds."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys


from zerodl.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_test_run_the_loop_is_left_as_it_is():
    steps = range(5)
    assert progress(steps) is steps  # pytest's captured stderr is no terminal, and no kernel runs here


def test_in_a_terminal_a_bar_counts_the_steps():
    screen = Terminal()
    with contextlib.redirect_stderr(screen):
        assert list(progress(range(7), desc="学習")) == list(range(7))
    shown = screen.getvalue()
    assert "学習" in shown and "0/7" in shown  # the bar, drawn on the terminal (and cleared at the end)


def test_without_tqdm_nothing_is_shown(tmp_path):
    """A reader's install without tqdm: the loop runs as it is, even in a terminal."""
    blocker = tmp_path / "tqdm.py"
    blocker.write_text("raise ImportError('no tqdm here')\n")
    code = ("import sys, io\nclass T(io.StringIO):\n    def isatty(self): return True\nsys.stderr = T()\n"
            "from zerodl.progress import progress\nr = range(3)\nassert progress(r) is r\nprint('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert done.stdout.strip() == "ok", done.stderr
