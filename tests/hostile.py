"""Files built to hurt a parser, generated at test time (a few KB to a few MB each): PDF stream
bombs through every filter and in the forms a byte scan misses, a PDF of millions of glyphs,
deep nesting, a DOCX whose XML part is far larger than any report's, billion laughs and XXE,
a DOC with a random OLE header. `HOSTILE` names each with its format and the failure's start.
"""
from __future__ import annotations

import random
import struct
import zlib
from typing import Callable

import filebuilders as fb

_PAGE_HEAD = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
    b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
]


def _zlib_blanks(unpacked: int) -> bytes:
    """zlib data of `unpacked` bytes of spaces (whole MB), made in milliseconds."""
    raw, _, adler = fb._deflate_repeated(b" " * (1 << 20), unpacked >> 20)
    return b"\x78\xda" + raw + struct.pack(">I", adler)


def _stream_pdf(dictionary: bytes, data: bytes, extra: list[bytes] | None = None) -> bytes:
    """A one-page PDF whose content stream (object 4) has `dictionary` (without << >>)."""
    obj = b"<< " + dictionary + b" >>\nstream\n" + data + b"\nendstream"
    return fb.raw_pdf(_PAGE_HEAD + [obj] + (extra or []))


def flate_twice(unpacked: int = 250_000_000) -> bytes:
    """A Flate bomb inside a second Flate filter: the outer stream inflates to a few hundred KB."""
    inner = _zlib_blanks(unpacked)
    data = zlib.compress(inner, 9)
    return _stream_pdf(b"/Length %d /Filter [/FlateDecode /FlateDecode]" % len(data), data)


def flate_escaped_name(unpacked: int = 250_000_000) -> bytes:
    """/Fl#61teDecode: the filter's name written with a #xx escape."""
    data = _zlib_blanks(unpacked)
    return _stream_pdf(b"/Length %d /Filter /Fl#61teDecode" % len(data), data)


def flate_indirect(unpacked: int = 250_000_000) -> bytes:
    """Length and filter both held in indirect objects (5 0 R, 6 0 R)."""
    data = _zlib_blanks(unpacked)
    return _stream_pdf(b"/Length 5 0 R /Filter 6 0 R", data,
                       [b"%d" % len(data), b"/FlateDecode"])


def flate_image_looking(unpacked: int = 250_000_000) -> bytes:
    """A content stream whose dictionary also says /Subtype /Image."""
    data = _zlib_blanks(unpacked)
    return _stream_pdf(b"/Type /XObject /Subtype /Image /Length %d /Filter /FlateDecode"
                       % len(data), data)


def flate_far_filter(unpacked: int = 250_000_000) -> bytes:
    """The /Filter entry 4 KB before the `stream` keyword (a padding string between)."""
    data = _zlib_blanks(unpacked)
    pad = b"(" + b"x" * 4096 + b")"
    return _stream_pdf(b"/Filter /FlateDecode /Pad " + pad + b" /Length %d" % len(data), data)


def ascii85_flate(unpacked: int = 250_000_000) -> bytes:
    """ASCII85 around Flate: [/ASCII85Decode /FlateDecode]."""
    import base64
    data = base64.a85encode(_zlib_blanks(unpacked)) + b"~>"
    return _stream_pdf(b"/Length %d /Filter [/A85 /FlateDecode]" % len(data), data)


def runlength_bomb(unpacked: int = 250_000_000) -> bytes:
    """RunLength: every two bytes say "128 spaces" (64:1, a 250 MB page in 4 MB)."""
    data = b"\x81 " * (unpacked // 128) + b"\x80"
    return _stream_pdf(b"/Length %d /Filter /RunLengthDecode" % len(data), data)


def lzw_codes(codes: list[int]) -> bytes:
    """Pack LZW codes with the widths a PDF decoder reads them at (early change)."""
    out = bytearray()
    acc = nacc = 0
    table = 258
    nbits = 9
    first = True
    for code in codes:
        acc = (acc << nbits) | code
        nacc += nbits
        while nacc >= 8:
            nacc -= 8
            out.append((acc >> nacc) & 0xFF)
        acc &= (1 << nacc) - 1
        if code == 256:
            table, nbits, first = 258, 9, True
            continue
        if first:
            first = False
        elif table < 4096:
            table += 1
        nbits = 9 if table < 511 else 10 if table < 1023 else 11 if table < 2047 else 12
    if nacc:
        out.append((acc << (8 - nacc)) & 0xFF)
    return bytes(out)


def lzw_bomb(unpacked: int = 250_000_000) -> bytes:
    """LZW whose table is filled with ever longer runs of spaces, then whose last code (3,839
    spaces) is repeated: 2,500:1. A decoder whose table never stops growing keeps a copy of each."""
    codes = [256, 32] + list(range(258, 4096))
    longest = 4096 - 258 + 1
    codes += [4095] * (unpacked // longest)
    data = lzw_codes(codes)
    return _stream_pdf(b"/Length %d /Filter /LZWDecode" % len(data), data)


def many_glyphs(glyphs: int = 4_000_000) -> bytes:
    """One page drawing `glyphs` glyphs (the text is 4 million characters, compressed to 20 KB)."""
    line = b"(" + b"a" * 1000 + b") Tj\n"
    ops = b"BT /F1 1 Tf 10 10 Td\n" + line * (glyphs // 1000) + b"ET"
    data = zlib.compress(ops, 9)
    return _stream_pdf(b"/Length %d /Filter /FlateDecode" % len(data), data)


def deep_pdf(depth: int = 200_000) -> bytes:
    """A content stream of arrays nested `depth` deep."""
    data = b"[" * depth + b"]" * depth
    return _stream_pdf(b"/Length %d" % len(data), data)


def docx_huge_part(unpacked: int = 190_000_000) -> bytes:
    """A DOCX whose document.xml is 190 MB (under a 200 MB package limit), its size told right,
    compressed about 150:1, under the ratio that marks a zip bomb (a few random digits every
    4 KB keep the ratio down)."""
    rnd = random.Random(5)
    para = b"<w:p><w:r><w:t>" + "法治政府建设".encode() * 220 + b"</w:t></w:r></w:p>"
    chunk = bytearray()
    while len(chunk) < 1 << 20:  # whole paragraphs, so the part stays well-formed
        chunk += b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % rnd.getrandbits(40) + para
    chunk = bytes(chunk)
    count = unpacked // len(chunk)
    head = b'<?xml version="1.0"?><w:document ' + _W + b'><w:body>'
    foot = b"</w:body></w:document>"
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor forgets its history: every copy of the chunk compresses
    # to the same bytes, which are repeated.
    data = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    data += block * count + comp.compress(foot) + comp.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(foot, crc)
    size = len(head) + count * len(chunk) + len(foot)
    members = [(name, zlib.compress(body)[2:-4], zlib.crc32(body), len(body), len(body))
               for name, body in {"[Content_Types].xml": fb._DOCX_TYPES}.items()]
    members.append(("word/document.xml", data, crc, size, size))
    return fb._write_zip(members)


def docx_lying_part(unpacked: int = 190_000_000) -> bytes:
    """The same, its directory claiming the part is 1 KB."""
    return fb.build_zip_bomb("docx", unpacked, lie=True)


def _docx_with_document(xml: bytes) -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", fb._DOCX_TYPES)
        zf.writestr("word/document.xml", xml)
    return buf.getvalue()


_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_billion_laughs() -> bytes:
    ents = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    xml = (b'<?xml version="1.0"?><!DOCTYPE w:document [' + ents + b']><w:document ' + _W
           + b'><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')
    return _docx_with_document(xml)


def docx_xxe() -> bytes:
    xml = (b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<w:document ' + _W + b'><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body>'
           b'</w:document>')
    return _docx_with_document(xml)


def docx_deep(depth: int = 100_000) -> bytes:
    xml = (b'<w:document ' + _W + b'><w:body>' + b"<w:sdt>" * depth + b"</w:sdt>" * depth
           + b"</w:body></w:document>")
    return _docx_with_document(xml)


def doc_random_header(seed: int = 7) -> bytes:
    """An OLE magic followed by random bytes, as a broken download of a DOC looks."""
    rnd = random.Random(seed)
    body = bytearray(fb.OLE_MAGIC if hasattr(fb, "OLE_MAGIC") else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    body += bytes(rnd.getrandbits(8) for _ in range(8192))
    return bytes(body)


def huge_image_scan(side: int = 20_000, draws: int = 32) -> bytes:
    """A "scan": one page that draws, *draws* times, a grey picture declared side x side pixels
    (400 megapixels at the default), deflated from blanks to 400 KB. The parse sees a page
    without text, for OCR; the renderer inflates and scales every pixel of it at each draw
    (some 8 s of CPU at the default)."""
    data = _zlib_blanks(side * side)
    content = b" ".join(b"q 595 0 0 842 %d 0 cm /Im0 Do Q" % i for i in range(draws))
    return fb.raw_pdf(_PAGE_HEAD[:2] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (side, side, len(data))
        + data + b"\nendstream"])


def huge_text(chars: int = 6_000_000) -> bytes:
    return ("法治政府建设" * (chars // 6) + "\n").encode("utf-8")


# name -> (builder, format, how the failure's reason starts; "" for files read without failing,
# whose harm would be in what they make the reader do)
HOSTILE: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "pdf-flate-twice": (flate_twice, "pdf", "decompression bomb"),
    "pdf-flate-escaped-name": (flate_escaped_name, "pdf", "decompression bomb"),
    "pdf-flate-indirect": (flate_indirect, "pdf", "decompression bomb"),
    "pdf-flate-image-looking": (flate_image_looking, "pdf", "decompression bomb"),
    "pdf-flate-far-filter": (flate_far_filter, "pdf", "decompression bomb"),
    "pdf-ascii85-flate": (ascii85_flate, "pdf", "decompression bomb"),
    "pdf-runlength": (runlength_bomb, "pdf", "decompression bomb"),
    "pdf-lzw": (lzw_bomb, "pdf", "decompression bomb"),
    "pdf-4m-glyphs": (many_glyphs, "pdf", "PDF page too complex"),
    "pdf-deep-nesting": (deep_pdf, "pdf", ""),
    "docx-190mb-part": (docx_huge_part, "docx", "DOCX part word/document.xml too large"),
    "docx-lying-part": (docx_lying_part, "docx", "broken DOCX: cannot read word/document.xml"),
    "docx-billion-laughs": (docx_billion_laughs, "docx", "broken DOCX: word/document.xml defines"),
    "docx-xxe": (docx_xxe, "docx", ""),
    "docx-deep-nesting": (docx_deep, "docx", "broken DOCX: word/document.xml is nested"),
    "doc-random-header": (doc_random_header, "doc", "broken DOC: its header is not valid"),
    "text-6m-chars": (huge_text, "text", "text too long"),
}
