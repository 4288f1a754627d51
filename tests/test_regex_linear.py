"""Every regular expression that runs on crawled text (page text, titles, URLs, file text) stays
linear on adversarial input: strings of each pattern's own characters, repeated tens of thousands
of times, with a character that breaks the match at the end, the shape that makes nested or
adjacent quantifiers backtrack. Nothing is timed: each pattern runs under a short alarm, which a
super-linear pattern at this length overruns by orders of magnitude (a quadratic one needs 10^8
steps or more, an exponential one never ends), while a linear one finishes in milliseconds. The
alarm counts this process's CPU time, not the clock's: on a busy shared machine the clock runs
on while the test waits for a core, the CPU time a pattern needs does not grow."""
from __future__ import annotations

import importlib
import pkgutil
import re
import signal
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crawler
import pipeline

# At this length a linear pattern, even one trying 40 alternatives at every character, is done in
# a tenth of the alarm; a quadratic one needs over 10^9 steps, ten times the alarm or more.
LENGTH = 50_000
ALARM_SECONDS = 1.0
_GENERIC = " 0a.-/，。（<"


def _modules():
    for pkg in (pipeline, crawler):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            try:
                yield importlib.import_module(info.name)
            except ImportError:  # an optional extra not installed
                continue
    for name in ("storage.query_language", "storage.search", "jobs.unparsed"):
        yield importlib.import_module(name)


def _patterns() -> dict[str, re.Pattern]:
    out = {}
    for mod in _modules():
        for attr, value in vars(mod).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                out[f"{mod.__name__}.{attr}"] = value
            elif isinstance(value, (list, tuple)) and value and all(
                    isinstance(v, re.Pattern) for v in value):
                for i, v in enumerate(value):
                    if isinstance(v.pattern, str):
                        out[f"{mod.__name__}.{attr}[{i}]"] = v
    return out


PATTERNS = _patterns()

# Patterns that run only on names from govreports' own division data, never on crawled text.
OWN_DATA_ONLY = {"pipeline.divisions._PEOPLES", "pipeline.regions._AUTONOMOUS"}


def _drop_brackets(text: str) -> str:
    from pipeline.divisions import _clean
    return _clean(text)


def _quoted(text: str) -> object:
    from pipeline.titles import classify_title
    return classify_title(text)


# Patterns that backtrack on their own and are kept linear by their one caller, which cuts the
# text after the last closing mark (no attempt is made that cannot succeed): the caller is tested.
GUARDED_BY_CALLER = {"pipeline.divisions._BRACKETS": _drop_brackets,
                     "pipeline.titles._QUOTED": _quoted}


def _alphabet(pattern: re.Pattern) -> str:
    """The characters a pattern names (literals and the ends of its ranges), and a few generic
    ones: what an attacker would repeat to make it backtrack."""
    src = re.sub(r"\\[dDsSwWbBAZ]|\{\d*,?\d*\}|\(\?[:!=<]+", "", pattern.pattern)
    chars = sorted({c for c in src if c not in "()[]{}?*+|^$\\"} - set(_GENERIC))
    return "".join(chars[:10]) + _GENERIC


class _Overrun(Exception):
    pass


@contextmanager
def _alarm(seconds: float):
    def on_alarm(signum, frame):
        raise _Overrun()
    old = signal.signal(signal.SIGVTALRM, on_alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)


def _overruns(pattern: re.Pattern, texts: list[str], seconds: float) -> str | None:
    """The first text on which a search (what sub, findall and split do at every position)
    does not end within the alarm."""
    for text in texts:
        try:
            with _alarm(seconds):
                for _ in pattern.finditer(text):
                    pass
        except _Overrun:
            return text
    return None


def _inputs(alphabet: str) -> list[str]:
    texts = []
    for c in alphabet:
        texts.append(c * LENGTH + "\x00")
        texts.append((c + " ") * (LENGTH // 2) + "\x00")
    return texts


def test_patterns_found():
    # The inventory is not empty by accident (a refactor that hides them from this test).
    assert len(PATTERNS) > 100


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_is_linear_on_its_own_characters_repeated(name):
    pattern = PATTERNS[name]
    if name in OWN_DATA_ONLY:
        pytest.skip("runs on the built-in division names only")
    texts = _inputs(_alphabet(pattern))
    if name in GUARDED_BY_CALLER:
        call = GUARDED_BY_CALLER[name]
        for text in texts + ["《" * LENGTH + "》", "【" * LENGTH + "】" + "【" * LENGTH]:
            try:
                with _alarm(ALARM_SECONDS):
                    call(text)
            except _Overrun:
                pytest.fail(f"{name}'s caller backtracks on {text[:4]!r}...")
        return
    bad = _overruns(pattern, texts, ALARM_SECONDS)
    assert bad is None, (f"{name} ({pattern.pattern!r}) backtracks: a search of {bad[:4]!r}... "
                         f"({len(bad)} characters) is not done in {ALARM_SECONDS:g} s")


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(unit=st.text(alphabet=_GENERIC + "年月日第号页共法治政府建设报告区县市人民族.…", min_size=2,
                    max_size=4),
       tail=st.sampled_from(["", "\x00", "。"]))
def test_every_pattern_is_linear_on_repeated_units(unit, tail):
    text = unit * (LENGTH // len(unit) // 2) + tail
    for name, pattern in PATTERNS.items():
        if name in OWN_DATA_ONLY or name in GUARDED_BY_CALLER:
            continue
        bad = _overruns(pattern, [text], ALARM_SECONDS)
        assert bad is None, f"{name} ({pattern.pattern!r}) backtracks on {unit!r} repeated"
