"""`make bench` keeps every machine it has measured (tools/bench/run.py)."""

from __future__ import annotations

import json

from bench.run import runs_in, with_earlier


def run(cpu: str, date: str) -> dict:
    return {"date": date, "machine": {"cpu": cpu}, "runs": []}


def test_a_new_machine_is_added_and_the_newest_run_is_on_top(tmp_path):
    path = tmp_path / "benchmark.json"
    path.write_text(json.dumps(run("AMD EPYC", "2026-12-01 03:00 UTC")), encoding="utf-8")  # the old shape: one run
    stored = with_earlier(run("Intel Xeon", "2026-12-02 05:00 UTC"), runs_in(path), append=False)
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert stored["machine"]["cpu"] == "Intel Xeon"  # the pages read the newest run at the top level
    assert [r["machine"]["cpu"] for r in runs_in(path)] == ["Intel Xeon", "AMD EPYC"]


def test_a_run_replaces_the_same_cpu_unless_appended(tmp_path):
    stored = [run("Intel Xeon", "2026-12-02 05:00 UTC"), run("AMD EPYC", "2026-12-01 03:00 UTC")]
    again = run("Intel Xeon", "2026-12-03 05:00 UTC")
    replaced = with_earlier(again, stored, append=False)
    assert [(r["machine"]["cpu"], r["date"]) for r in replaced["earlier"]] == [("AMD EPYC", "2026-12-01 03:00 UTC")]
    appended = with_earlier(again, stored, append=True)
    assert [r["date"] for r in appended["earlier"]] == ["2026-12-02 05:00 UTC", "2026-12-01 03:00 UTC"]
    assert "earlier" not in with_earlier(again, [run("Intel Xeon", again["date"])], append=True)
