"""bench/faults.py cannot rot: every fault names the tests that hold it, and one fault runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import faults

TESTS = Path(__file__).resolve().parent


def test_every_fault_names_tests_that_exist():
    assert set(faults.FAULTS) == set(faults.HELD_BY)
    for held_by in faults.HELD_BY.values():
        module = None
        for part in (p.strip() for p in held_by.split(",")):
            if "::" in part:
                module, name = part.split("::")
            else:
                module, name = (part, None) if part.endswith(".py") else (module, part)
            assert module is not None
            source = (TESTS / module).read_text()
            if name:
                assert re.search(rf"^def {name}\(", source, re.M), f"{module}::{name}"


@pytest.mark.slow
def test_a_fault_runs_against_the_real_serve_and_renders(tmp_path):
    [finding] = faults.odd_input(tmp_path)
    assert finding.outcome == "statuses [200, 200]; apologies 0"
    page = faults.markdown([finding], "0.00", "0.00")
    assert page.startswith("# Reliability under faults and abuse")
    assert f"| {finding.fault} |" in page
