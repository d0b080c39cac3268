"""`make test` runs the code blocks and the other tests as two processes (tools/literate/testrun.py);
the code-block process hands each page's records to the comparison with the build in a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from literate import pytest_blocks, testrun
from literate.execute import Output
from literate.pytest_blocks import PageRecord, RecordsMissing, records_file, records_from_other_process, write_records

PAGE = "07-x.md"
OUTPUTS = {
    3: [Output("text", "loss 0.25\n| a | b |\n"), Output("svg", "<svg>図</svg>", alt="タイトル")],
    9: [],
    14: [Output("text", "done\n")],
}


def record(passed=(3, 9, 14)) -> PageRecord:
    return PageRecord(blocks={k: v for k, v in OUTPUTS.items() if k in passed}, expected=[3, 9, 14],
                      passed=list(passed))


def test_a_complete_page_arrives_as_it_was_recorded(tmp_path):
    write_records(tmp_path, "experiments/" + PAGE, record())
    assert records_file(tmp_path, "experiments/" + PAGE).name == "experiments__07-x.md.json"
    assert records_from_other_process(tmp_path, "experiments/" + PAGE) == OUTPUTS


def test_a_page_whose_tests_did_not_all_pass_fails_naming_it_and_the_lines(tmp_path):
    write_records(tmp_path, PAGE, record(passed=(3,)))
    with pytest.raises(RecordsMissing, match=r"07-x\.md: not every code-block test .* lines \[9, 14\]"):
        records_from_other_process(tmp_path, PAGE)


def test_a_page_the_ended_process_never_recorded_fails_at_once(tmp_path):
    (tmp_path / testrun.DOCS_EXIT).write_text(json.dumps({"returncode": -9}), encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(RecordsMissing, match=r"07-x\.md: the code-block process .* status -9 without recording"):
        records_from_other_process(tmp_path, PAGE, timeout=60)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("status", [0, 5])
def test_a_page_the_passing_process_did_not_select_is_left_to_the_caller(tmp_path, status):
    """`make test PYTEST_ARGS=-k...`: the comparison then runs the page itself, as plain pytest does."""
    (tmp_path / testrun.DOCS_EXIT).write_text(json.dumps({"returncode": status}), encoding="utf-8")
    assert records_from_other_process(tmp_path, PAGE, timeout=60) is None


def test_records_written_while_waiting_are_picked_up(tmp_path):
    writer = threading.Timer(0.3, write_records, (tmp_path, PAGE, record()))
    writer.start()
    try:
        assert records_from_other_process(tmp_path, PAGE, timeout=30, poll=0.05) == OUTPUTS
    finally:
        writer.join()


def test_waiting_has_a_limit(tmp_path):
    with pytest.raises(RecordsMissing, match=r"07-x\.md: no records from the code-block process after"):
        records_from_other_process(tmp_path, PAGE, timeout=0.2, poll=0.05)


def test_the_code_block_process_writes_what_it_ran(tmp_path):
    """The real writer: `pytest docs/PAGE.md` with ZERODL_BLOCK_RECORDS set leaves the page's records,
    the same as running its blocks here."""
    page = "appendix-performance.md"  # quick, prints and draws
    env = dict(os.environ, **{testrun.RECORDS_ENV: str(tmp_path)})
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"docs/{page}"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    recorded = records_from_other_process(tmp_path, page, timeout=1)
    assert any(o.kind == "svg" for outs in recorded.values() for o in outs)
    assert any(o.kind == "text" for outs in recorded.values() for o in outs)
    assert recorded == pytest_blocks.run_page_blocks(ROOT / "docs" / page)


def _job(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_runner_shows_each_output_whole_and_fails_when_one_fails(tmp_path):
    out = tmp_path / "out.bin"
    jobs = [
        ("first", _job("import time\nfor i in range(3): print('first', i, flush=True); time.sleep(0.1)")),
        ("second", _job("import sys\nfor i in range(3): print('second', i, flush=True)\nsys.exit(3)")),
    ]
    with open(out, "wb") as handle:
        assert testrun.run(jobs, tmp_path, out=handle) == 1
    text = out.read_text(encoding="utf-8")
    assert "first 0\nfirst 1\nfirst 2\n" in text and "second 0\nsecond 1\nsecond 2\n" in text
    assert text.index("first 2") < text.index("second 0"), "the outputs are not interleaved"
    assert "first: passed after" in text and "second: FAILED (exit status 3) after" in text
    assert json.loads((tmp_path / testrun.DOCS_EXIT).read_text(encoding="utf-8")) == {"returncode": 0}


def test_the_runner_passes_when_both_pass_and_names_the_folder(tmp_path):
    out = tmp_path / "out.bin"
    show = f"import os; print(os.environ[{testrun.RECORDS_ENV!r}])"
    with open(out, "wb") as handle:
        assert testrun.run([("a", _job(show)), ("b", _job(show))], tmp_path, out=handle) == 0
    assert out.read_text(encoding="utf-8").count(str(tmp_path)) >= 2


def test_make_test_runs_both_halves_and_nothing_twice():
    (docs_name, docs), (tests_name, tests) = testrun.commands(["-x"])
    assert docs[1:4] == ["-m", "pytest", "docs"] and tests[1:4] == ["-m", "pytest", "tests"]
    for name in testrun.DOCS_SIDE:
        assert (ROOT / "tests" / name).is_file(), name
        assert f"tests/{name}" in docs and f"--ignore=tests/{name}" in tests
    assert docs[-1] == tests[-1] == "-x"
