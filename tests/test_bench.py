"""Smoke test of the benchmark's own machinery, in-process and small, so it cannot rot.

Starts no server and writes no docs: ``python -m bench --quick`` is the end-to-end check.
"""

from __future__ import annotations

import math
import sys

import pytest

from bench import lambda_cold, report, warm, writes, wrk
from bench.report import Check, Row
from bench.stats import Summary, percentile, slope


def test_warm_measurement_runs_and_renders(tmp_path):
    result = warm.measure_warm(20, rounds=2, db_dir=tmp_path)
    assert result.errors == []
    assert len(result.project) == len(result.hello) == len(result.floor) == 20
    assert all(t > 0 for t in result.project + result.hello + result.floor)
    rows = warm.rows(result)
    text = report.text_table(rows)
    assert "warm request, median" in text and f"≤ 1.3{report.TIMES}" in text
    page = report.markdown(rows, report.machine(), "smoke")
    assert "| warm request, median |" in page and "- cores: " in page


def test_checks_and_status():
    assert Row("a", "us", 120.0, 100.0, check=Check("ratio<=", 1.3)).status == report.PASS
    assert Row("a", "us", 140.0, 100.0, check=Check("ratio<=", 1.3)).status == report.FAIL
    assert Row("a", "rps", 900.0, 1000.0, check=Check("ratio>=", 0.8)).status == report.PASS
    assert Row("a", "s", 0.4, check=Check("<", 1.0)).status == report.PASS
    assert Row("a", "s", 0.4, check=Check("<", 1.0), ok=False).status == report.FAIL
    assert Row("a", "s", None, check=Check("<", 1.0)).status == report.NONE
    skipped = Row("audio", "s", None, skipped="not available")
    assert report.cells(skipped)[1] == "not available" and skipped.status == report.NONE
    assert report.format_value(0.25, "s") == "250 ms"
    near = Row("a", "ms", 120.36, 100.0, check=Check("ratio<=", 1.2))
    assert near.status == report.FAIL and report.cells(near)[4].startswith("1.204")
    assert report.format_value(2430.4, "rps") == "2,430 req/s"


def test_stats():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert math.isclose(percentile(list(range(101)), 99), 99.0)
    assert math.isclose(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2.0)
    assert slope([1.0], [5.0]) == 0.0
    assert Summary.of([3.0, 1.0, 2.0]).median == 2.0


def test_wrk_script_quotes_bodies():
    assert wrk._lua_string(b'{"a":"]]"}') == '[===[{"a":"]]"}]===]'
    script = wrk._SCRIPT % "[===[{}]===]"
    assert "bodies[(offset + counter) % #bodies + 1]" in script


def test_durable_writes_per_routine_are_counted_through_the_real_store():
    rows = writes.rows(writes.measure_writes())
    assert [row.project for row in rows] == [3.0, 1.0]
    assert {row.status for row in rows} == {report.PASS}


@pytest.mark.slow
def test_lambda_cold_start_children_answer_through_the_stub_dynamodb():
    result = lambda_cold.measure_lambda_cold(1)
    assert len(result.project) == len(result.hello) == 1
    (row,) = lambda_cold.rows(result)
    assert row.name == "Lambda cold start, median" and row.ratio is not None


def test_a_partial_run_updates_only_its_sections_rows():
    old = "\n".join(
        [
            "# Benchmarks",
            "- date: then",
            "- bench duration: 180 s",
            "| measurement | project |",
            "| cold start, median | 215 ms |",
            "| audio full build (88 cues, espeak-ng) | 27.52 s |",
            "| audio no-op rebuild, in-process | 9 ms |",
            "## Notes",
            "- cold start, median: 15 runs",
            "- audio full build (88 cues, espeak-ng): 313 ms per cue",
            "## What each row measures",
            "- **audio**: espeak-ng",
        ]
    )
    new = "\n".join(
        [
            "| audio full build (88 cues, Piper, 2 jobs) | 300 s |",
            "| audio no-op rebuild, in-process | 20 ms |",
            "- audio full build (88 cues, Piper, 2 jobs): 3400 ms per cue",
            "## What each row measures",
            "- **audio**: Piper",
            "",
        ]
    )
    stamp = "audio rows: full run of now"
    merged = report.update_sections(old, new, ("audio",), stamp)
    assert "| cold start, median | 215 ms |" in merged and "- cold start, median: 15 runs" in merged
    assert "espeak-ng" not in merged and "| audio full build (88 cues, Piper, 2 jobs) |" in merged
    assert merged.count("| audio") == 2 and "- **audio**: Piper" in merged
    assert "- bench duration: 180 s\n- audio rows: full run of now\n" in merged
    assert report.update_sections(merged, new, ("audio",), stamp) == merged  # idempotent


def test_a_partial_run_leaves_rows_written_by_hand_in_other_sections():
    old = "\n".join(
        [
            "- bench duration: 180 s",
            "| cold start, median | 215 ms |",
            "## Notes",
            "- cold start, median: 15 runs",
            "## Before and after",
            "| cold start, median | 300 ms before | 215 ms after |",
            "- cold start, median fell by a third",
            "## What each row measures",
        ]
    )
    new = "\n".join(
        [
            "| cold start, median | 200 ms |",
            "- cold start, median: 15 runs",
            "## What each row measures",
        ]
    )
    merged = report.update_sections(old, new, ("cold start",), "cold rows: full run of now")
    assert "| cold start, median | 200 ms |" in merged and "215 ms |\n" not in merged
    assert "| cold start, median | 300 ms before | 215 ms after |" in merged
    assert "- cold start, median fell by a third" in merged


def test_cold_starts_compile_the_bytecode_the_children_will_not_write(tmp_path, monkeypatch):
    from bench.bytecode import PACKAGES, compile_repository

    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as PYTHONDONTWRITEBYTECODE=1
    for name in PACKAGES:
        (tmp_path / name).mkdir()
        (tmp_path / name / "module.py").write_text("VALUE = 1\n")
    assert compile_repository(tmp_path)
    for name in PACKAGES:
        assert list((tmp_path / name / "__pycache__").glob("module.*.pyc"))
