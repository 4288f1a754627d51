"""Text from Word 97-2003 binary files (.doc) and Kingsoft WPS Writer files (.wps, the same
layout with extensions), read the documented [MS-DOC] way on top of olefile: the FIB gives the
table stream and the CLX; the CLX's piece table maps character positions to pieces of the
WordDocument stream, each either UTF-16LE or "compressed" single-byte cp1252 text.

No maintained pure-Python .doc reader exists (antiword wrappers need a binary), hence this.
Only the main document text is read (not headers, footnotes, comments or text boxes).
"""
from __future__ import annotations

import datetime as dt
import struct
from io import BytesIO

import olefile

from ._common import Limits, describe_error, fail

__all__ = ["read_doc", "OLE_MAGIC"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W97_IDENT = 0xA5EC
_W6_IDENT = 0xA5DC
_FC_CLX_INDEX = 33  # fcClx is the 34th fc/lcb pair of FibRgFcLcb97
_CODEPAGES = {936: "gb18030", 54936: "gb18030", 950: "big5", 65001: "utf-8", 1200: "utf-16-le",
              1252: "cp1252", 20127: "ascii"}
# Characters with a meaning in the text stream ([MS-DOC] 2.8.25 and following).
_BREAKS = {"\r": "\n", "\x07": "\n", "\x0b": "\n", "\x0c": "\n", "\x0e": "\n"}
_REPLACE = {"\x1e": "-", "\x1f": "", "\t": "\t"}


def read_doc(body: bytes, limits: Limits, label: str) -> tuple[list[str], dict[str, str]]:
    """(lines, meta) of a DOC or WPS file; `label` ("DOC" or "WPS") names it in failures."""
    if body.lstrip()[:5] == b"{\\rtf":
        raise fail(f"unsupported {label} variant: an RTF file")
    if not body.startswith(OLE_MAGIC):
        raise fail(f"broken {label}: not an OLE compound file")
    try:
        ole = olefile.OleFileIO(BytesIO(body))
    except MemoryError:
        raise
    except Exception:  # olefile raises OSError, ValueError and others on damaged containers
        raise fail(f"broken {label}: its header is not valid (the file is damaged, or is not "
                   f"a Word document)") from None
    try:
        if ole.exists("EncryptedPackage"):
            raise fail(f"encrypted {label}: password-protected document")
        if not ole.exists("WordDocument"):
            if label == "WPS":
                raise fail("unsupported WPS variant: no WordDocument stream")
            raise fail(f"broken {label}: no WordDocument stream")
        word = ole.openstream("WordDocument").read()
        fib = _fib(word, label)
        table_name = "1Table" if fib["which_table"] else "0Table"
        if not ole.exists(table_name):
            raise fail(f"broken {label}: no {table_name} stream")
        table = ole.openstream(table_name).read()
        if fib["ccp_text"] > limits.max_text_chars:
            raise fail(f"{label} text too long: {fib['ccp_text']} characters, more than "
                       f"{limits.max_text_chars} (limit [limits] max_text_chars)")
        text = _main_text(word, table, fib, label)
        meta = _meta(ole)
    except MemoryError:
        raise
    except Exception as exc:
        if getattr(exc, "stage", None):
            raise
        raise fail(f"broken {label}: the file is damaged and its text cannot be read "
                   f"({describe_error(exc)})") from None
    finally:
        ole.close()
    lines = [ln.strip() for ln in _visible(text).split("\n")]
    return [ln for ln in lines if ln], meta


def _fib(word: bytes, label: str) -> dict[str, int]:
    """The few FIB fields needed: flags, ccpText, fcClx/lcbClx."""
    if len(word) < 0x22:
        raise fail(f"broken {label}: WordDocument stream too short")
    ident, nfib = struct.unpack_from("<HH", word, 0)
    if ident == _W6_IDENT or (ident == _W97_IDENT and nfib < 0xC0):
        raise fail(f"unsupported {label} variant: Word 6/95 file (nFib {nfib:#x})")
    if ident != _W97_IDENT:
        raise fail(f"broken {label}: not a Word file (wIdent {ident:#x})")
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if flags & 0x0100 or flags & 0x8000:  # fEncrypted, fObfuscated
        raise fail(f"encrypted {label}: password-protected document")
    pos = 0x20
    csw = struct.unpack_from("<H", word, pos)[0]
    pos += 2 + 2 * csw
    cslw = struct.unpack_from("<H", word, pos)[0]
    if cslw < 4:
        raise fail(f"broken {label}: FIB too short")
    ccp_text = struct.unpack_from("<i", word, pos + 2 + 12)[0]
    pos += 2 + 4 * cslw
    cb_fclcb = struct.unpack_from("<H", word, pos)[0]
    if cb_fclcb <= _FC_CLX_INDEX:
        raise fail(f"broken {label}: FIB has no piece table")
    fc_clx, lcb_clx = struct.unpack_from("<II", word, pos + 2 + 8 * _FC_CLX_INDEX)
    return {"which_table": flags & 0x0200, "ccp_text": max(ccp_text, 0),
            "fc_clx": fc_clx, "lcb_clx": lcb_clx}


def _main_text(word: bytes, table: bytes, fib: dict[str, int], label: str) -> str:
    """Concatenate the pieces covering character positions [0, ccpText)."""
    clx = table[fib["fc_clx"]:fib["fc_clx"] + fib["lcb_clx"]]
    if not clx or len(clx) < fib["lcb_clx"]:
        raise fail(f"broken {label}: piece table outside the table stream")
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc: property modifiers, skipped
        i += 3 + struct.unpack_from("<h", clx, i + 1)[0]
    if i >= len(clx) or clx[i] != 0x02:
        raise fail(f"broken {label}: no piece table in the CLX")
    lcb = struct.unpack_from("<I", clx, i + 1)[0]
    plc = clx[i + 5:i + 5 + lcb]
    count = (len(plc) - 4) // 12
    if count <= 0:
        raise fail(f"broken {label}: empty piece table")
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    wanted = fib["ccp_text"]
    out: list[str] = []
    for k in range(count):
        start, end = cps[k], min(cps[k + 1], wanted)
        if start >= wanted:
            break
        if end <= start:
            continue
        fc_raw = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * k + 2)[0]
        n = end - start
        if fc_raw & 0x40000000:  # compressed: one cp1252 byte a character at fc/2
            fc = (fc_raw & 0x3FFFFFFF) // 2
            chunk = word[fc:fc + n]
            piece = chunk.decode("cp1252", errors="replace")
        else:
            fc = fc_raw & 0x3FFFFFFF
            chunk = word[fc:fc + 2 * n]
            piece = chunk.decode("utf-16-le", errors="replace")
        if len(piece) < n:
            raise fail(f"broken {label}: text piece {k} runs past the WordDocument stream")
        out.append(piece)
    return "".join(out)


def _visible(text: str) -> str:
    """Drop field codes (keep field results), turn paragraph, cell, line and page marks into
    line breaks, and drop object anchors and other control characters."""
    out: list[str] = []
    fields: list[bool] = []  # per open field: True while in its code part
    for ch in text:
        if ch == "\x13":
            fields.append(True)
        elif ch == "\x14":
            if fields:
                fields[-1] = False
        elif ch == "\x15":
            if fields:
                fields.pop()
        elif any(fields):
            continue
        elif ch in _BREAKS:
            out.append("\n")
        elif ch in _REPLACE:
            out.append(_REPLACE[ch])
        elif ch < " ":
            continue  # \x01 pictures, \x08 drawn objects, \x02 footnote marks, \x05 comments
        else:
            out.append(ch)
    return "".join(out)


def _meta(ole: olefile.OleFileIO) -> dict[str, str]:
    try:
        props = ole.get_metadata()
    except Exception:  # a damaged property stream only costs the metadata
        return {}
    # The code page is stored as a signed 16-bit value: UTF-8's 65001 reads as -535.
    encoding = _CODEPAGES.get((props.codepage or 0) & 0xFFFF, "gb18030")
    meta: dict[str, str] = {}
    for attr, key in (("title", "title"), ("author", "author"), ("subject", "subject"),
                      ("keywords", "keywords"), ("creating_application", "creator"),
                      ("create_time", "created"), ("last_saved_time", "modified")):
        value = getattr(props, attr, None)
        if isinstance(value, bytes):
            value = value.decode(encoding, errors="replace")
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        if isinstance(value, str) and value.strip():
            meta[key] = value.strip()
    return meta
