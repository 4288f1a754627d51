"""Files built to hurt a reader fail within the readers' limits, while reading, in little memory,
with a reason in words; the bounded PDF decoders give what pdfminer's give on normal streams."""
from __future__ import annotations

import tracemalloc
import zlib
from dataclasses import replace

import pytest
from pdfminer.lzw import lzwdecode
from pdfminer.runlength import rldecode

import hostile
from pipeline.files import extract_file_text
from pipeline.files.pdfstreams import bounded_inflate, bounded_lzw, bounded_runlength
from pipeline.records import FileLimits, ParseFailure

# Small limits keep the suite quick: every reader stops at them as it would at the defaults.
LIMITS = FileLimits(max_unpacked_bytes=20_000_000, max_xml_part_bytes=10_000_000,
                    max_page_objects=20_000, max_glyphs=50_000, max_text_chars=1_000_000)


@pytest.fixture(scope="module")
def bodies() -> dict[str, bytes]:
    out = {name: build() for name, (build, _, _) in hostile.HOSTILE.items()
           if name != "pdf-deep-nesting"}
    out["pdf-deep-nesting"] = hostile.deep_pdf(30_000)  # linear in depth: a smaller one will do
    return out


@pytest.mark.parametrize("name", sorted(hostile.HOSTILE))
def test_hostile_file_fails_at_its_limit_in_little_memory(bodies, name):
    _, fmt, want = hostile.HOSTILE[name]
    # A 190 MB part within the package's limit: stopped at the part's own.
    limits = replace(LIMITS, max_unpacked_bytes=200_000_000) if name == "docx-190mb-part" else LIMITS
    tracemalloc.start()
    try:
        try:
            got = extract_file_text(bodies[name], fmt, limits=limits)
            reason = None
        except ParseFailure as exc:
            assert exc.stage == "file"
            reason = exc.reason
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if want:
        assert reason is not None and reason.startswith(want), reason
        # One line, in words: no Python exception names or tracebacks.
        assert "\n" not in reason and "Error:" not in reason and "Traceback" not in reason
    else:
        assert reason is None or reason.startswith("broken"), reason
    if name == "docx-xxe":
        assert "root:" not in "\n".join(got.lines)  # the external entity is never read
    # Within the limits plus the file itself and the reader's own structures.
    assert peak < 2 * LIMITS.max_unpacked_bytes + 3 * len(bodies[name]), (name, peak)


def test_default_limits_refuse_the_bombs_too(bodies):
    for name in ("pdf-flate-twice", "pdf-lzw", "pdf-runlength"):
        with pytest.raises(ParseFailure, match="decompression bomb: PDF streams expand past 200 MB"):
            extract_file_text(bodies[name], "pdf")


def _lzw_encode(data: bytes) -> list[int]:
    table = {bytes((i,)): i for i in range(256)}
    nxt, codes, word = 258, [256], b""
    for byte in data:
        longer = word + bytes((byte,))
        if longer in table:
            word = longer
            continue
        codes.append(table[word])
        table[longer] = nxt
        nxt += 1
        word = bytes((byte,))
    return codes + ([table[word]] if word else []) + [257]


def _runlength_encode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 128:
            run += 1
        if run > 1:
            out += bytes((257 - run, data[i]))
        else:
            out += bytes((0, data[i]))
        i += run
    return bytes(out + b"\x80")


SAMPLES = [b"", b"a", "法治政府建设年度报告".encode() * 40 + b"  \x00\x00\x00\x00\x00 BT ET " * 30,
           bytes(range(256)) * 4]


@pytest.mark.parametrize("data", SAMPLES)
def test_bounded_decoders_match_pdfminers_on_normal_streams(data):
    assert bounded_lzw(hostile.lzw_codes(_lzw_encode(data)), 1 << 20) == lzwdecode(
        hostile.lzw_codes(_lzw_encode(data)))
    assert bounded_runlength(_runlength_encode(data), 1 << 20) == rldecode(_runlength_encode(data)) == data
    assert bounded_inflate(zlib.compress(data), 1 << 20) == data
    # A stream cut short gives what came before the cut, as pdfminer's fallback does.
    if len(data) > 100:
        cut = zlib.compress(data)[:-20]
        assert data.startswith(bounded_inflate(cut, 1 << 20))


def test_bounded_decoders_stop_past_their_room():
    for decode, encoded in ((bounded_inflate, zlib.compress(b" " * 100_000)),
                            (bounded_runlength, b"\x81 " * 1000),
                            (bounded_lzw, hostile.lzw_codes([256, 32] + list(range(258, 600))))):
        with pytest.raises(ValueError):
            decode(encoded, 10_000)
