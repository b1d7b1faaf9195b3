"""Benchmarks: every cost of the skill measured beside a hello-world ask-sdk skill.

``python -m bench`` (or ``make bench``) runs them all and writes ``docs/benchmarks.md``;
``python -m bench --quick`` is the short version for development and CI smoke runs.
"""
