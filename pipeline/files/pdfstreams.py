"""Bounded decoding of PDF stream filters, in place of pdfminer's own.

pdfminer inflates a stream whole (`zlib.decompress`), decodes LZW and RunLength into lists, and
re-slices its LZW table for a debug log on every code: a stream of a few kilobytes can ask for
gigabytes or minutes. Every stream pdfminer decodes (content streams, forms, object and
cross-reference streams, through any chain of filters, names written with escapes, lengths held
in indirect objects) goes through `decode` below, which stops at the document's budget while
decoding instead of measuring afterwards. The budget is set per document by `stream_budget`.
"""
from __future__ import annotations

import zlib
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from pdfminer import pdftypes
from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.ccitt import ccittfaxdecode
from pdfminer.pdfexceptions import PDFNotImplementedError
from pdfminer.pdftypes import (LITERAL_CRYPT, LITERALS_ASCII85_DECODE, LITERALS_ASCIIHEX_DECODE,
                               LITERALS_CCITTFAX_DECODE, LITERALS_DCT_DECODE,
                               LITERALS_FLATE_DECODE, LITERALS_JBIG2_DECODE, LITERALS_JPX_DECODE,
                               LITERALS_LZW_DECODE, LITERALS_RUNLENGTH_DECODE, PDFStream)
from pdfminer.utils import apply_png_predictor, apply_tiff_predictor

from ._common import fail, mb

__all__ = ["stream_budget", "bounded_inflate", "bounded_lzw", "bounded_runlength", "DEFAULT_BUDGET"]

# Budget of a stream decoded outside `stream_budget` (another caller of pdfminer).
DEFAULT_BUDGET = 200_000_000
_INPUT_CHUNK = 1 << 16
_budget: ContextVar[list[int] | None] = ContextVar("pdf_stream_budget", default=None)


@contextmanager
def stream_budget(max_bytes: int) -> Iterator[None]:
    """Let the streams decoded inside this block produce at most *max_bytes* together, counted
    after every filter of every stream (a chain of two Flate filters counts both outputs)."""
    token = _budget.set([max_bytes, max_bytes])
    try:
        yield
    finally:
        _budget.reset(token)


def _room() -> list[int]:
    budget = _budget.get()
    return budget if budget is not None else [DEFAULT_BUDGET, DEFAULT_BUDGET]


def _bomb(limit: int) -> Exception:
    return fail(f"decompression bomb: PDF streams expand past {mb(limit)} "
                "(limit [limits] max_unpacked_bytes)")


def bounded_inflate(data: bytes, room: int) -> bytes:
    """zlib/deflate data, at most *room* bytes of it (more raises ValueError). A corrupt or cut
    stream gives what was decoded before the damage, as pdfminer's fallback does.

    The size is measured first in 1 MB steps, keeping nothing (zlib does 300 MB/s or more), so a
    bomb is refused holding a megabyte, not the budget."""
    if _inflate(data, room, keep=False) > room:
        raise ValueError("over budget")
    out = bytearray()
    _inflate(data, room, keep=True, out=out)
    return bytes(out)


def _inflate(data: bytes, room: int, *, keep: bool, out: bytearray | None = None) -> int:
    inflater = zlib.decompressobj()
    total = 0
    try:
        for start in range(0, len(data), _INPUT_CHUNK):
            chunk = data[start:start + _INPUT_CHUNK]
            while chunk:
                piece = inflater.decompress(chunk, 1 << 20)
                total += len(piece)
                if total > room:
                    return total
                if keep and out is not None:
                    out += piece
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
        piece = inflater.flush()  # output zlib still held (at most its 32 KB window)
        total += len(piece)
        if keep and out is not None:
            out += piece
    except zlib.error:
        pass  # encrypted or damaged: keep what came before the damage
    return total


def bounded_lzw(data: bytes, room: int) -> bytes:
    """LZW (PDF's, early change 1), at most *room* bytes (more raises ValueError). The code table
    stops growing at 4096 entries, as the format's 12-bit codes require. When the input could
    expand past *room* (2,500:1 at most), the size is measured first, keeping only the table's
    entry lengths."""
    if len(data) * 2600 > room and _lzw(data, room, keep=False) > room:
        raise ValueError("over budget")
    out = bytearray()
    if _lzw(data, room, keep=True, out=out) > room:
        raise ValueError("over budget")
    return bytes(out)


def _lzw(data: bytes, room: int, *, keep: bool, out: bytearray | None = None) -> int:
    # In counting mode the table holds each entry's length instead of its bytes.
    table: list = [bytes((c,)) for c in range(256)] + [b"", b""] if keep else [1] * 256 + [0, 0]
    empty: object = b"" if keep else 0
    prev: object = empty
    nbits = 9
    bitbuf = bitcount = pos = total = 0
    size = len(data)
    while True:
        while bitcount < nbits:
            if pos >= size:
                return total
            bitbuf = ((bitbuf << 8) | data[pos]) & 0xFFFFFF
            pos += 1
            bitcount += 8
        bitcount -= nbits
        code = (bitbuf >> bitcount) & ((1 << nbits) - 1)
        if code == 256:
            del table[258:]
            prev, nbits = empty, 9
            continue
        if code == 257:
            return total
        if not prev:
            if code >= len(table):
                return total  # corrupt: stop there, as pdfminer does
            x = table[code]
        else:
            if code < len(table):
                x = table[code]
                entry = prev + x[:1] if keep else prev + 1  # type: ignore[operator,index]
            elif code == len(table):
                x = entry = prev + prev[:1] if keep else prev + 1  # type: ignore[operator,index]
            else:
                return total
            if len(table) < 4096:
                table.append(entry)
            n = len(table)
            nbits = 9 if n < 511 else 10 if n < 1023 else 11 if n < 2047 else 12
        prev = x
        if keep:
            out += x  # type: ignore[operator]
            total = len(out)  # type: ignore[arg-type]
        else:
            total += x  # type: ignore[operator]
        if total > room:
            return total


def bounded_runlength(data: bytes, room: int) -> bytes:
    """RunLength (PDF Reference 3.3.4), at most *room* bytes (more raises ValueError); measured
    first when the input could expand past *room* (64:1 at most)."""
    if len(data) * 64 > room and _runlength(data, room, keep=False) > room:
        raise ValueError("over budget")
    out = bytearray()
    _runlength(data, room, keep=True, out=out)
    return bytes(out)


def _runlength(data: bytes, room: int, *, keep: bool, out: bytearray | None = None) -> int:
    i, size, total = 0, len(data), 0
    while i < size:
        length = data[i]
        i += 1
        if length == 128:
            break
        if length < 128:
            if keep:
                out += data[i:i + length + 1]  # type: ignore[operator]
            total += min(length + 1, size - i)
            i += length + 1
        elif i < size:
            if keep:
                out += bytes((data[i],)) * (257 - length)  # type: ignore[operator]
            total += 257 - length
            i += 1
        if total > room:
            break
    return total


def _spend(budget: list[int], data: bytes) -> bytes:
    budget[0] -= len(data)
    if budget[0] < 0:
        raise _bomb(budget[1])
    return data


def decode(self: PDFStream) -> None:
    """PDFStream.decode with every filter bounded by the document's budget."""
    assert self.data is None and self.rawdata is not None
    data = self.rawdata
    if self.decipher:
        assert self.objid is not None and self.genno is not None
        data = self.decipher(self.objid, self.genno, data, self.attrs)
    budget = _room()
    for f, params in self.get_filters():
        try:
            if f in LITERALS_FLATE_DECODE:
                data = _spend(budget, bounded_inflate(data, budget[0]))
            elif f in LITERALS_LZW_DECODE:
                data = _spend(budget, bounded_lzw(data, budget[0]))
            elif f in LITERALS_RUNLENGTH_DECODE:
                data = _spend(budget, bounded_runlength(data, budget[0]))
            elif f in LITERALS_ASCII85_DECODE:  # at most 4 bytes a character (`z`)
                data = _spend(budget, ascii85decode(data))
            elif f in LITERALS_ASCIIHEX_DECODE:  # half the input
                data = _spend(budget, asciihexdecode(data))
            elif f in LITERALS_CCITTFAX_DECODE:  # a fax picture; rows of its stated width
                data = _spend(budget, ccittfaxdecode(data, params))
            elif f in LITERALS_DCT_DECODE or f in LITERALS_JBIG2_DECODE or f in LITERALS_JPX_DECODE:
                pass  # pictures, handed on undecoded
            elif f == LITERAL_CRYPT:
                raise PDFNotImplementedError("/Crypt filter is unsupported")
            else:
                raise PDFNotImplementedError(f"Unsupported filter: {f!r}")
        except ValueError as exc:
            if str(exc) == "over budget":
                raise _bomb(budget[1]) from None
            raise
        if params and isinstance(params, dict) and "Predictor" in params:
            data = _spend(budget, _predict(data, params))
    self.data = data
    self.rawdata = None


def _predict(data: bytes, params: dict) -> bytes:
    """Undo a TIFF or PNG predictor (output no larger than the input)."""
    pred = pdftypes.int_value(params["Predictor"])
    colors = pdftypes.int_value(params.get("Colors", 1))
    columns = pdftypes.int_value(params.get("Columns", 1))
    bits = pdftypes.int_value(params.get("BitsPerComponent", 8))
    if pred == 1:
        return data
    if pred == 2:
        return apply_tiff_predictor(colors, columns, bits, data)
    if pred >= 10:
        return apply_png_predictor(pred, colors, columns, bits, data)
    raise PDFNotImplementedError(f"Unsupported predictor: {pred!r}")


# Installed once, on import: pdfminer has no hook for its decoders.
PDFStream.decode = decode  # type: ignore[method-assign]
