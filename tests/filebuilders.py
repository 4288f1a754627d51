"""Build real report files from seed text at test time: PDF (reportlab, CJK font), DOCX
(python-docx), DOC/WPS (a Word 97 file written here: compound file, FIB, piece table), OFD (the
XML parts of GB/T 33190), and the broken kinds: scans, encrypted, truncated, bombs."""
from __future__ import annotations

import datetime as dt
import struct
import unicodedata
import uuid
import zipfile
import zlib
from io import BytesIO
from xml.sax.saxutils import escape

# ---------------------------------------------------------------- PDF

CJK_FONT = "STSong-Light"  # reportlab's built-in Adobe-GB1 CID font (UniGB-UCS2-H encoding)
# UniGB-UCS2-H has no code for U+00B7 (the middle dot of `3·15`): the GB1 glyph is reached through
# U+30FB, which text extraction maps back to U+00B7.
_FONT_SAFE = str.maketrans({"\u00b7": "\u30fb"})


def build_pdf(paragraphs: list[str], *, title: str | None = None, author: str | None = None,
              user_password: str | None = None, owner_password: str | None = None,
              algorithm: str = "AES-128") -> bytes:
    """An A4 report: first paragraph a centred heading, the rest justified with a two-character
    first-line indent, page numbers `- N -` in the footer. With a password it is encrypted
    afterwards by pypdf (reportlab leaves the CID font's strings unencrypted, which breaks them)."""
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=12, leading=21, firstLineIndent=24,
                          wordWrap="CJK", alignment=TA_JUSTIFY)
    heading = ParagraphStyle("heading", parent=body, fontSize=16, leading=28, firstLineIndent=0,
                             alignment=TA_CENTER, spaceAfter=12)

    def footer(canvas, doc):
        canvas.setFont(CJK_FONT, 10)
        canvas.drawCentredString(A4[0] / 2, 40, f"- {doc.page} -")

    buf = BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72,
                            bottomMargin=72, title=title or "", author=author or "",
                            invariant=1)
    story = [Paragraph(escape(p.translate(_FONT_SAFE)), heading if i == 0 else body)
             for i, p in enumerate(paragraphs)]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    if user_password is None and owner_password is None:
        return buf.getvalue()
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(BytesIO(buf.getvalue())))
    # Permissions as sites set them: printing allowed, copying not.
    writer.encrypt(user_password or "", owner_password or "owner", algorithm=algorithm,
                   permissions_flag=pypdf.constants.UserAccessPermissions.PRINT)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def build_scanned_pdf(pages: int = 2) -> bytes:
    """Pages that are only pictures, as a scanner makes them: no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    for n in range(pages):
        img = Image.new("L", (400, 560), 255)
        draw = ImageDraw.Draw(img)
        for row in range(40, 520, 18):  # strokes where the lines of text were
            draw.line((40, row, 360 - (row * 7 + n * 13) % 90, row), fill=0, width=6)
        c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()
    return buf.getvalue()


def build_spaced_pdf(lines: list[str], char_space: float = 3.0) -> bytes:
    """Lines drawn with extra character spacing, as justified Chinese text is spread out."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buf = BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for n, line in enumerate(lines):
        text = c.beginText(72, 760 - 24 * n)
        text.setFont(CJK_FONT, 12)
        text.setCharSpace(char_space)
        text.textLine(line.translate(_FONT_SAFE))
        c.drawText(text)
    c.save()
    return buf.getvalue()


def raw_pdf(objects: list[bytes], *, info: bytes | None = None) -> bytes:
    """A PDF from numbered object bodies (1 = catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects + ([info] if info else []), start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = b"<< /Size %d /Root 1 0 R" % (len(offsets) + 1)
    if info:
        trailer += b" /Info %d 0 R" % len(offsets)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _stream(data: bytes, *, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        head = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
        return head + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def build_cid_pdf(good_lines: list[str], garbage_lines: int) -> bytes:
    """One page: `good_lines` in an Adobe-GB1 font that maps to Unicode, then `garbage_lines`
    lines in an Identity-H font with no ToUnicode map, which text extraction reads as `(cid:N)`."""
    ops = []
    y = 780
    for line in good_lines:
        codes = line.encode("utf-16-be").hex().encode()
        ops.append(b"BT /F1 12 Tf 72 %d Td <%s> Tj ET" % (y, codes))
        y -= 20
    for n in range(garbage_lines):
        # A number in the good font, then glyphs of the unmapped font on the same line.
        codes = b"".join(struct.pack(">H", 0x0100 + n * 31 + k) for k in range(30))
        ops.append(b"BT /F1 12 Tf 72 %d Td <%s> Tj /F2 12 Tf <%s> Tj ET"
                   % (y, "2024".encode("utf-16-be").hex().encode(), codes.hex().encode()))
        y -= 20
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R /F2 7 0 R >> >> /Contents 4 0 R >>",
        _stream(b"\n".join(ops), compress=True),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 9 0 R /DW 1000 >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SubsetFont /Encoding /Identity-H "
        b"/DescendantFonts [8 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SubsetFont /CIDSystemInfo "
        b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 9 0 R "
        b"/DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /SubsetFont /Flags 4 /FontBBox [0 -120 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ])


def build_pdf_bomb(unpacked: int) -> bytes:
    """A one-page PDF whose content stream inflates to `unpacked` bytes of blanks."""
    raw, _, adler = _deflate_repeated(b" " * (1 << 20), unpacked >> 20)
    data = b"\x78\xda" + raw + struct.pack(">I", adler)  # zlib framing around raw deflate
    return raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ])


def _deflate_repeated(chunk: bytes, count: int) -> tuple[bytes, int, int]:
    """Raw deflate data of `chunk` repeated `count` times, with its CRC-32 and Adler-32, made
    fast: after a full flush the compressor forgets its history, so every further copy of the
    chunk compresses to the same bytes, which are simply repeated."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    crc, adler = 0, 1
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
        adler = zlib.adler32(chunk, adler)
    return block * count + comp.flush(zlib.Z_FINISH), crc, adler


# ---------------------------------------------------------------- DOCX

def build_docx(paragraphs: list[str], *, table: list[list[str]] | None = None,
               textbox: str | None = None, content_control: str | None = None,
               title: str | None = None, author: str | None = None) -> bytes:
    """A DOCX written by python-docx; optionally a table after the third paragraph, a text box
    (with the Fallback copy Word writes beside it) and a content control holding a paragraph."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    for i, text in enumerate(paragraphs):
        para = document.add_paragraph(text)
        if i == 2 and table:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
            para._p.addnext(grid._tbl)
    body = document.element.body
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    if textbox:
        box = parse_xml(
            f'<w:p {w} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            f'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
            f'xmlns:v="urn:schemas-microsoft-com:vml"><w:r><mc:AlternateContent><mc:Choice '
            f'Requires="wps"><wps:txbx><w:txbxContent><w:p><w:r><w:t>{escape(textbox)}</w:t>'
            f'</w:r></w:p></w:txbxContent></wps:txbx></mc:Choice><mc:Fallback><w:pict><v:shape>'
            f'<v:textbox><w:txbxContent><w:p><w:r><w:t>{escape(textbox)}</w:t></w:r></w:p>'
            f'</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent>'
            f'</w:r></w:p>')
        body.insert(1, box)
    if content_control:
        sdt = parse_xml(f'<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>'
                        f'{escape(content_control)}</w:t></w:r></w:p></w:sdtContent></w:sdt>')
        body.insert(len(body) - 1, sdt)  # before the final sectPr
    if title:
        document.core_properties.title = title
    if author:
        document.core_properties.author = author
    buf = BytesIO()
    document.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- zip bombs

_DOCX_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
               b'openxmlformats.org/package/2006/content-types"><Override PartName='
               b'"/word/document.xml" ContentType="application/vnd.openxmlformats-'
               b'officedocument.wordprocessingml.document.main+xml"/></Types>')


def build_zip_bomb(kind: str, unpacked: int = 250_000_000, *, lie: bool = False) -> bytes:
    """A DOCX or OFD whose main part is `unpacked` bytes of highly compressible XML (rounded to
    whole MB). With `lie`, the zip directory claims the part is 1 KB."""
    part = "word/document.xml" if kind == "docx" else "Doc_0/Pages/Page_0/Content.xml"
    chunk = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 30_000
    chunk = chunk[:1 << 20]
    count = unpacked >> 20
    data, crc, _ = _deflate_repeated(chunk, count)
    if kind == "docx":
        small = {"[Content_Types].xml": _DOCX_TYPES}
    else:
        small = {"OFD.xml": _ofd_root("炸弹", "Doc_0/Document.xml"),
                 "Doc_0/Document.xml": _ofd_document(1)}
    members = [(name, zlib.compress(body)[2:-4], zlib.crc32(body), len(body), len(body))
               for name, body in small.items()]
    members.append((part, data, crc, count << 20, 1024 if lie else count << 20))
    return _write_zip(members)


def _write_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of deflated members (name, raw deflate data, crc, size, size told the directory)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size, told in members:
        raw_name = name.encode()
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data),
                           size, len(raw_name), 0) + raw_name + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc,
                               len(data), told, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name
    return bytes(out + central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members),
                                             len(members), len(central), len(out), 0))


# ---------------------------------------------------------------- DOC / WPS (Word 97 binary)

_END, _FREE, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """A compound file (CFB version 3, 512-byte sectors) holding `streams` at the root. Streams
    are padded to 4096 bytes so that none goes to the mini stream."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    fat: list[int] = []
    sectors: list[bytes] = []
    starts = {}
    sizes = {}
    for name in names:
        data = streams[name].ljust(4096, b"\0")
        sizes[name] = len(data)
        count = -(-len(data) // 512)
        start = starts[name] = len(fat)
        fat.extend([start + i + 1 for i in range(count - 1)])
        fat.append(_END)
        sectors.append(data.ljust(count * 512, b"\0"))
    entries = 1 + len(names)
    dir_count = -(-entries // 4)
    dir_start = len(fat)
    fat.extend([dir_start + i + 1 for i in range(dir_count - 1)])
    fat.append(_END)
    fat_count = 1
    while len(fat) + fat_count > 128 * fat_count:
        fat_count += 1
    fat_start = len(fat)
    fat.extend([_FATSECT] * fat_count)
    fat.extend([_FREE] * (128 * fat_count - len(fat)))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le")
        return struct.pack("<64sHBBIII16sIQQIII", raw.ljust(64, b"\0"),
                           len(raw) + 2 if name else 0, kind, 1 if kind else 0,
                           _NOSTREAM, right, child, bytes(16), 0, 0, 0, start, size, 0)

    directory = [entry("Root Entry", 5, _NOSTREAM, 1 if names else _NOSTREAM, _END, 0)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _NOSTREAM
        directory.append(entry(name, 2, right, _NOSTREAM, starts[name], sizes[name]))
    while len(directory) % 4:
        directory.append(entry("", 0, _NOSTREAM, _NOSTREAM, 0, 0))
    difat = [fat_start + i for i in range(fat_count)] + [_FREE] * (109 - fat_count)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                         bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, fat_count, dir_start,
                         0, 4096, _END, 0, _END, 0) + struct.pack("<109I", *difat)
    return (header + b"".join(sectors) + b"".join(directory)
            + struct.pack(f"<{len(fat)}I", *fat))


def _fib(ccp_text: int, lcb_clx: int, *, encrypted: bool) -> bytes:
    """A Word 97 FIB: FibBase, 14 FibRgW16 words, 22 FibRgLw97 longs, 93 fc/lcb pairs."""
    flags = 0x0200 | (0x0100 if encrypted else 0)  # fWhichTblStm: the table is 1Table
    base = struct.pack("<HHHHHHH", 0xA5EC, 0x00C1, 0, 0x0804, 0, flags, 0x00BF).ljust(32, b"\0")
    rg_lw = bytearray(88)
    struct.pack_into("<i", rg_lw, 12, ccp_text)
    blob = bytearray(93 * 8)
    struct.pack_into("<II", blob, 33 * 8, 0, lcb_clx)  # fcClx = 0: the CLX opens 1Table
    return (base + struct.pack("<H", 14) + bytes(28) + struct.pack("<H", 22) + bytes(rg_lw)
            + struct.pack("<H", 93) + bytes(blob) + struct.pack("<H", 0))


def build_doc(paragraphs: list[str], *, table: list[list[str]] | None = None,
              field: tuple[str, str] | None = None, title: str | None = None,
              author: str | None = None, created: dt.datetime | None = None,
              encrypted: bool = False) -> bytes:
    """A Word 97 .doc (also what Kingsoft WPS writes as .wps). Plain-ASCII paragraphs go in
    compressed (cp1252) pieces, others in UTF-16LE pieces, long ones split over two pieces.
    `table` rows follow the third paragraph as cells ended by \\x07; `field` = (code, result) is
    appended to the second paragraph as a Word field."""
    chunks: list[str] = []
    for i, text in enumerate(paragraphs):
        if i == 1 and field:
            text += "\x13 " + field[0] + " \x14" + field[1] + "\x15"
        chunks.append(text + "\r")
        if i == 2 and table:
            for row in table:
                chunks.append("".join(cell + "\x07" for cell in row) + "\x07")
    pieces: list[tuple[str, bool]] = []
    for chunk in chunks:
        compressed = all(32 <= ord(ch) < 127 or ch in "\r\x07\x13\x14\x15" for ch in chunk)
        if len(chunk) > 40:  # exercise piece boundaries inside a paragraph
            pieces += [(chunk[:len(chunk) // 2], compressed), (chunk[len(chunk) // 2:], compressed)]
        else:
            pieces.append((chunk, compressed))
    ccp_text = sum(len(p) for p, _ in pieces)
    text_bytes = bytearray()
    fcs = []
    text_start = 1024
    for piece, compressed in pieces:
        offset = text_start + len(text_bytes)
        if compressed:
            fcs.append((offset * 2) | 0x40000000)
            text_bytes += piece.encode("cp1252")
        else:
            fcs.append(offset)
            text_bytes += piece.encode("utf-16-le")
    cps = [0]
    for piece, _ in pieces:
        cps.append(cps[-1] + len(piece))
    plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(
        struct.pack("<HIH", 0, fc, 0) for fc in fcs)
    prc = b"\x01" + struct.pack("<h", 3) + b"\x00\x00\x00"  # one property modifier to skip
    clx = prc + b"\x02" + struct.pack("<I", len(plc)) + plc
    word = bytearray(_fib(ccp_text, len(clx), encrypted=encrypted).ljust(text_start, b"\0"))
    word += text_bytes
    streams = {"WordDocument": bytes(word), "1Table": clx}
    if title or author or created:
        streams["\x05SummaryInformation"] = _summary_information(title, author, created)
    return write_cfb(streams)


def build_works_wps() -> bytes:
    """A Microsoft Works word-processor .wps: a compound file without a WordDocument stream."""
    return write_cfb({"CONTENTS": b"CHNKWKS " + bytes(600), "SPELLING": bytes(64)})


def _summary_information(title: str | None, author: str | None,
                         created: dt.datetime | None) -> bytes:
    """A SummaryInformation property set in code page 936, as Chinese Word and WPS write it."""
    props: list[tuple[int, bytes]] = [(1, struct.pack("<HHh2x", 2, 0, 936))]
    for pid, value in ((2, title), (4, author)):
        if value:
            raw = value.encode("gbk") + b"\0"
            padded = raw.ljust(-(-len(raw) // 4) * 4, b"\0")
            props.append((pid, struct.pack("<HHI", 30, 0, len(raw)) + padded))
    if created:
        ticks = int((created - dt.datetime(1601, 1, 1)).total_seconds()) * 10_000_000
        props.append((12, struct.pack("<HHQ", 64, 0, ticks)))
    table_len = 8 + 8 * len(props)
    offsets, values = [], b""
    for pid, value in props:
        offsets.append((pid, table_len + len(values)))
        values += value
    section = struct.pack("<II", table_len + len(values), len(props)) + b"".join(
        struct.pack("<II", pid, off) for pid, off in offsets) + values
    fmtid = uuid.UUID("F29F85E0-4FF9-1068-AB91-08002B27B3D9").bytes_le
    return struct.pack("<HHI16sI", 0xFFFE, 0, 0x00020005, bytes(16), 1) + fmtid + \
        struct.pack("<I", 48) + section


# ---------------------------------------------------------------- OFD

_OFD_NS = "http://www.ofdspec.org/2016"


def _ofd_root(title: str, doc_root: str, author: str = "", created: str = "") -> bytes:
    info = f"<ofd:DocID>{uuid.uuid5(uuid.NAMESPACE_URL, doc_root + title).hex}</ofd:DocID>"
    info += f"<ofd:Title>{escape(title)}</ofd:Title>" if title else ""
    info += f"<ofd:Author>{escape(author)}</ofd:Author>" if author else ""
    info += f"<ofd:CreationDate>{created}</ofd:CreationDate>" if created else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.1" '
            f'DocType="OFD"><ofd:DocBody><ofd:DocInfo>{info}</ofd:DocInfo>'
            f'<ofd:DocRoot>{doc_root}</ofd:DocRoot></ofd:DocBody></ofd:OFD>').encode()


def _ofd_document(pages: int) -> bytes:
    page_list = "".join(f'<ofd:Page ID="{n + 10}" BaseLoc="Pages/Page_{n}/Content.xml"/>'
                        for n in range(pages))
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}">'
            f'<ofd:CommonData><ofd:MaxUnitID>999999</ofd:MaxUnitID><ofd:PageArea>'
            f'<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
            f'<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
            f'<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>').encode()


def _em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def _wrap(text: str, width_em: float, indent_em: float) -> list[tuple[float, str]]:
    """Greedy wrap into (indent, line) pairs, widths in ems."""
    lines, line, used, indent = [], "", indent_em, indent_em
    for ch in text:
        if used + _em(ch) > width_em and line:
            lines.append((indent, line))
            line, used, indent = "", 0.0, 0.0
        line += ch
        used += _em(ch)
    if line:
        lines.append((indent, line))
    return lines


def build_ofd(paragraphs: list[str], *, title: str = "", author: str = "",
              created: str = "") -> bytes:
    """An OFD of A4 pages (mm units): the first paragraph a centred heading, body lines justified
    with a two-character indent, a page number in the footer. To make reading order depend on
    positions, each page lists its text objects bottom-up, some lines are split into two
    objects, and some objects are placed through a CTM instead of plain coordinates."""
    size, left, right, top, bottom, step = 4.2, 28.0, 182.0, 30.0, 262.0, 7.0
    width_em = int((right - left) / size)
    placed: list[tuple[float, str]] = []  # (x, text) of each line, top to bottom
    for i, para in enumerate(paragraphs):
        if i == 0:
            ems = sum(_em(ch) for ch in para)
            placed.append(((210 - ems * size) / 2, para))
            continue
        for indent, line in _wrap(para, width_em, 2.0):
            placed.append((left + indent * size, line))
    per_page = int((bottom - top) / step)
    pages: list[list[tuple[float, float, str]]] = []
    for n, (x, text) in enumerate(placed):
        page, slot = divmod(n, per_page)
        while len(pages) <= page:
            pages.append([])
        pages[page].append((x, top + size + slot * step, text))
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        root = _ofd_root(title, "Doc_0/Document.xml", author, created)
        zf.writestr("OFD.xml", root)
        zf.writestr("Doc_0/Document.xml", _ofd_document(len(pages)))
        zf.writestr("Doc_0/PublicRes.xml",
                    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{_OFD_NS}" '
                    f'BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体" '
                    f'FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
        for p, lines in enumerate(pages):
            objects = []
            ident = 100
            lines = lines + [(100.0, 280.0, f"- {p + 1} -")]
            for k, (x, base, text) in enumerate(lines):
                parts = [text]
                if k % 5 == 3 and len(text) > 6:
                    cut = len(text) // 2
                    parts = [text[:cut], text[cut:]]
                px = x
                for part in parts:
                    objects.append(_text_object(ident, px, base, size, part, use_ctm=k % 4 == 1))
                    ident += 1
                    px += sum(_em(ch) for ch in part) * size
            objects.reverse()
            zf.writestr(f"Doc_0/Pages/Page_{p}/Content.xml",
                        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}">'
                        f'<ofd:Content><ofd:Layer ID="{p + 50}">{"".join(objects)}</ofd:Layer>'
                        f'</ofd:Content></ofd:Page>')
    return buf.getvalue()


def _text_object(ident: int, x: float, baseline: float, size: float, text: str,
                 *, use_ctm: bool) -> str:
    width = sum(_em(ch) for ch in text) * size
    advances = [_em(ch) * size for ch in text[:-1]]
    if all(a == size for a in advances) and advances:
        delta = f"g {len(advances)} {size:g}"
    else:
        delta = " ".join(f"{a:g}" for a in advances)
    box = f"{x:.3f} {baseline - size:.3f} {width + 1:.3f} {size * 1.4:.3f}"
    if use_ctm:  # same place, drawn at twice the size and scaled down by half
        delta = " ".join(f"{2 * float(v):g}" if v != "g" and i != 1 else v
                         for i, v in enumerate(delta.split())) if delta.startswith("g") else \
            " ".join(f"{2 * float(v):g}" for v in delta.split())
        return (f'<ofd:TextObject ID="{ident}" Boundary="{box}" Font="2" Size="{2 * size:g}" '
                f'CTM="0.5 0 0 0.5 0 0"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" '
                f'Y="{2 * size:g}" DeltaX="{delta}">{escape(text)}</ofd:TextCode></ofd:TextObject>')
    return (f'<ofd:TextObject ID="{ident}" Boundary="{box}" Font="2" Size="{size:g}">'
            f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{size:g}" DeltaX="{delta}">'
            f'{escape(text)}</ofd:TextCode></ofd:TextObject>')
