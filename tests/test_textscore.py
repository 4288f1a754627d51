"""The benchmark's scoring views (tests/textscore.py): the gate-aware F1 and why a page is lost."""
from __future__ import annotations

import pytest

from textscore import gate_aware, lost_cause

# (stored F1, stored chars, gold chars) -> gate-aware F1
GATE_AWARE = [
    (0.0, 0, 150, 1.0),      # a short item (no report) stored as nothing: the product's rule met
    (0.0, 0, 199, 1.0),
    (0.0, 0, 200, 0.0),      # report-sized gold stored as nothing: still a loss
    (0.0, 0, 3000, 0.0),
    (0.8, 250, 150, 0.8),    # something stored: its own F1, whatever the gold's size
    (0.97, 900, 1000, 0.97),
]


@pytest.mark.parametrize("score, stored, gold, want", GATE_AWARE)
def test_gate_aware(score, stored, gold, want):
    assert gate_aware(score, stored, gold) == want


# (stored chars, no-min chars, no-min F1, generic chars, generic F1) -> cause
LOST = [
    (0, 186, 0.919, 230, 0.869, "gate"),        # the extraction had it, better: only the minimum dropped it
    (0, 186, 0.86, 230, 0.869, "gate"),         # within 0.02 of the generic extractor's F1
    (0, 120, 0.50, 230, 0.869, "extraction"),   # the extraction itself much worse
    (0, 0, 0.0, 400, 0.9, "extraction"),        # nothing extracted at all
    (150, 150, 0.6, 900, 0.95, "extraction"),   # stored under the minimum (a wrong short block)
    (0, 186, 0.9, 191, 0.9, None),              # the generic extractor finds under 200 too: not lost
    (250, 250, 0.9, 400, 0.95, None),           # stored 200+: not lost
]


@pytest.mark.parametrize("stored, raw, raw_f1, generic, generic_f1, want", LOST)
def test_lost_cause(stored, raw, raw_f1, generic, generic_f1, want):
    assert lost_cause(stored, raw, raw_f1, generic, generic_f1) == want
