"""Scanned copies of the seeds, made at test time: the printed report (GB/T 9704 layout: title in
a large serif, body 16 pt with 28 characters a line, headings in a sans, page numbers `— N —`,
on some documents a running header), signed and sealed in red over the signature, then "scanned":
slight rotation, paper tone, noise, blur, JPEG artefacts. Deterministic from its name.

    doc = scanned_seed("001", dpi=150)
    doc.pdf()                 # an image-only PDF, one JPEG a page
    doc.pages[0].jpeg         # the page as a JPEG, as a site shows it in a row of page images
    doc.pages[0].truth        # the body lines printed on the page, in reading order

The ground truth of the measured set (every seed at 150 and 300 dpi) is committed in
tests/data/scans/truth.json; `python tests/scans.py --check` (and a test) hold the generator to it,
`--write` renews it after a deliberate change. The images are never committed: they are made again.
Seeds 000, 002 and 004 are the tuning half; 001 and 003 the held-out half, never looked at while
tuning (bench/ocr_speed.py reports both).
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
import sys
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from web.texts import SEEDS, seed_body  # noqa: E402

__all__ = ["ScanPage", "ScanDoc", "scanned_seed", "scanned_text", "TUNING", "HELD_OUT",
           "TRUTH_FILE", "FONT_DIR", "truth_table", "body_text"]

FONT_DIR = Path("/usr/share/fonts/opentype/noto")  # Debian's fonts-noto-cjk
TRUTH_FILE = TESTS / "data" / "scans" / "truth.json"
TUNING = ("000", "002", "004")
HELD_OUT = ("001", "003")
A4_INCHES = (8.27, 11.69)
_SC = 2  # the Simplified Chinese face in the Noto CJK collections
# Artefacts of the seeds' sources that paper never shows.
_NOT_PRINTED = re.compile(r"\[bookmark: _GoBack\]|\*\*|##paidend##")
_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_SUBHEADING = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_NO_LINE_START = set("。，、；：？！”’）》」』,.;:?!)")
_SIGN_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


@dataclass
class ScanPage:
    number: int  # 1-based
    dpi: int
    image: Image.Image  # RGB, after the scan's degradations
    truth: list[str]  # body lines in reading order (no header, page number or seal)
    jpeg: bytes = b""


@dataclass
class ScanDoc:
    name: str
    dpi: int
    title: str
    pages: list[ScanPage] = field(default_factory=list)

    def pdf(self) -> bytes:
        """An image-only PDF of the pages (JPEG-encoded, as scanners write them)."""
        images = [Image.open(BytesIO(p.jpeg)) for p in self.pages]
        buf = BytesIO()
        images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=self.dpi,
                       title="", producer="Scanner")
        return buf.getvalue()

    @property
    def truth(self) -> list[str]:
        return [line for p in self.pages for line in p.truth]


def body_text(seed: str) -> list[str]:
    """The seed's paragraphs as printed: page chrome and source artefacts out, title and signature
    lines (set apart by the layout) left to the caller."""
    lines = [_NOT_PRINTED.sub("", ln).strip() for ln in seed_body(seed)]
    lines = [ln for ln in lines if ln]
    spec = SEEDS[seed]
    # The title lines at the top (000 and 002 carry them in the text) are set as the title.
    title_key = re.sub(r"\s", "", spec.title)
    while lines and re.sub(r"\s", "", lines[0]) in title_key:
        lines.pop(0)
    # A signature at the end (issuer, date) is set as the signature.
    while lines and (_SIGN_DATE.match(lines[-1]) or lines[-1] == spec.issuer):
        lines.pop()
    return lines


@functools.lru_cache(maxsize=64)
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), px, index=_SC)


def _title_lines(title: str, issuer: str) -> list[str]:
    """A long title breaks after its issuer (`酉阳土家族苗族自治县司法局` / `关于2024年…报告`)."""
    if len(title) <= 22:
        return [title]
    if title.startswith(issuer) and len(issuer) >= 4:
        rest = title[len(issuer):]
        return [issuer, rest] if len(rest) <= 22 else [issuer, rest[:20], rest[20:]]
    cut = len(title) // 2
    return [title[:cut], title[cut:]]


class _Typesetter:
    """Lays the document out on A4 pages at one resolution, recording each page's lines."""

    def __init__(self, dpi: int, rng: random.Random, header: str | None) -> None:
        self.dpi = dpi
        self.rng = rng
        self.header = header
        self.w, self.h = int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi)
        mm = dpi / 25.4
        self.left, self.right = int(28 * mm), self.w - int(26 * mm)
        self.top, self.bottom = int(37 * mm), self.h - int(35 * mm)
        self.px = round(16 / 72 * dpi)  # 三号, 16 pt
        self.chars = (self.right - self.left) // self.px  # 28 at A4
        self.step = (self.bottom - self.top) / 22  # 22 lines a page
        self.pages: list[tuple[Image.Image, list[str]]] = []
        self._new_page()

    def _new_page(self) -> None:
        img = Image.new("RGB", (self.w, self.h), (255, 255, 255))
        self.pages.append((img, []))
        self.draw = ImageDraw.Draw(img)
        self.y = float(self.top)
        n = len(self.pages)
        if self.header and n > 1:
            font = _font("NotoSerifCJK-Regular.ttc", round(10.5 / 72 * self.dpi))
            y = int(18 / 25.4 * self.dpi)
            self.draw.text((self.w / 2, y), self.header, font=font, fill=(40, 40, 40), anchor="mt")
            rule = y + int(font.size * 1.5)
            self.draw.line((self.left, rule, self.right, rule), fill=(60, 60, 60),
                           width=max(1, self.dpi // 150))

    def _room(self, needed: float) -> None:
        if self.y + needed > self.bottom + 1:
            self._new_page()

    def line(self, text: str, *, font: str = "NotoSerifCJK-Regular.ttc", px: int | None = None,
             x: float | None = None, align: str = "left", step: float | None = None) -> None:
        px = px or self.px
        step = step or self.step
        self._room(px)
        f = _font(font, px)
        if align == "center":
            self.draw.text((self.w / 2, self.y), text, font=f, fill=(0, 0, 0), anchor="ma")
        elif align == "right":
            self.draw.text((x if x is not None else self.right, self.y), text, font=f,
                           fill=(0, 0, 0), anchor="ra")
        else:
            self._justified(text, f, px, self.left if x is None else x)
        self.pages[-1][1].append(text)
        self.y += step

    def _justified(self, text: str, f: ImageFont.FreeTypeFont, px: int, x0: float) -> None:
        """Character by character on a grid of full-width cells, as documents are set: ASCII
        digits and letters take half a cell."""
        x = x0
        for ch in text:
            self.draw.text((x, self.y), ch, font=f, fill=(0, 0, 0))
            x += f.getlength(ch) if ord(ch) < 0x2E80 else px

    def paragraph(self, text: str, *, font: str = "NotoSerifCJK-Regular.ttc") -> None:
        """Wrapped at the right margin with a two-character first-line indent."""
        f = _font(font, self.px)
        width = self.right - self.left
        indent = 2 * self.px
        line, used = "", float(indent)
        first = True
        for ch in text:
            adv = f.getlength(ch) if ord(ch) < 0x2E80 else self.px
            # A closing mark never starts a line: it hangs in the margin instead (禁则).
            if used + adv > width + 0.5 and line and ch not in _NO_LINE_START:
                self.line(line, font=font, x=self.left + (indent if first else 0))
                line, used, first = "", 0.0, False
            line += ch
            used += adv
        if line:
            self.line(line, font=font, x=self.left + (indent if first else 0))

    def gap(self, lines: float) -> None:
        self.y += lines * self.step


def _page_number(img: Image.Image, n: int, dpi: int, left: int, right: int) -> None:
    """`— N —` in 四号 under the text area, outside edge (right on odd pages, left on even)."""
    draw = ImageDraw.Draw(img)
    font = _font("NotoSerifCJK-Regular.ttc", round(14 / 72 * dpi))
    y = img.height - int(26 / 25.4 * dpi)
    mm = dpi / 25.4
    if n % 2:
        draw.text((right - 7 * mm, y), f"— {n} —", font=font, fill=(0, 0, 0), anchor="ra")
    else:
        draw.text((left + 7 * mm, y), f"— {n} —", font=font, fill=(0, 0, 0), anchor="la")


def _seal(img: Image.Image, centre: tuple[float, float], issuer: str, dpi: int,
          rng: random.Random) -> None:
    """A round red seal (公章): ring, star, the issuer along the upper arc; multiplied over the
    page as ink is, with uneven pressure."""
    mm = dpi / 25.4
    r = 21 * mm
    size = int(2 * r + 8 * mm)
    layer = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(layer)
    c = size / 2
    ring = max(2, int(1.2 * mm))
    d.ellipse((c - r, c - r, c + r, c + r), outline=255, width=ring)
    star_r = 6.5 * mm
    points = []
    for k in range(10):
        a = -math.pi / 2 + k * math.pi / 5
        rr = star_r if k % 2 == 0 else star_r * 0.38
        points.append((c + rr * math.cos(a), c + rr * math.sin(a)))
    d.polygon(points, fill=255)
    font = _font("NotoSansCJK-Bold.ttc", int(5.2 * mm))
    text = issuer[:16]
    span = math.radians(min(250, 18 * len(text)))
    for k, ch in enumerate(text):
        a = -math.pi / 2 - span / 2 + span * (k + 0.5) / len(text)
        glyph = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(glyph).text((font.size, font.size), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        rr = r - ring - font.size * 0.75
        gx, gy = c + rr * math.cos(a), c + rr * math.sin(a)
        layer.paste(255, (int(gx - font.size), int(gy - font.size)), glyph)
    # Uneven ink: a smooth random field thins the impression in places.
    field = Image.effect_noise((max(8, size // 12), max(8, size // 12)), 60).resize(
        (size, size), Image.BICUBIC).point(lambda v: min(255, 150 + v))
    layer = ImageChops.multiply(layer, field)
    angle = rng.uniform(-15, 15)
    layer = layer.rotate(angle, resample=Image.BICUBIC)
    red = Image.new("RGB", layer.size, (214, 32, 40))
    x0, y0 = int(centre[0] - size / 2), int(centre[1] - size / 2)
    box = (x0, y0, x0 + size, y0 + size)
    under = img.crop(box)
    inked = ImageChops.multiply(under, red)
    img.paste(Image.composite(inked, under, layer), box)


def _scan(img: Image.Image, dpi: int, rng: random.Random) -> Image.Image:
    """What a flatbed scanner and its JPEG encoder do to a page."""
    import numpy as np

    angle = rng.uniform(0.3, 1.2) * rng.choice((-1, 1))
    paper = tuple(rng.randint(236, 250) - k * 3 for k in range(3))
    img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=(255, 255, 255))
    img = img.filter(ImageFilter.GaussianBlur(radius=0.35 * dpi / 150))
    arr = np.asarray(img, dtype=np.float32)
    tone = np.asarray(paper, dtype=np.float32) / 255.0
    arr = arr * tone  # paper tone multiplies the white
    gen = np.random.default_rng(rng.getrandbits(32))
    arr += gen.normal(0, 7.0, size=arr.shape[:2])[..., None]
    specks = gen.random(arr.shape[:2]) < 0.0004
    arr[specks] = gen.uniform(40, 140, size=(int(specks.sum()), 1))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    buf = BytesIO()
    img.save(buf, "JPEG", quality=rng.randint(55, 72))
    return Image.open(BytesIO(buf.getvalue())).convert("RGB")


def _compose(name: str, title: str, issuer: str, paragraphs: list[str], signature: list[str],
             dpi: int, *, header: bool | None = None, images: bool = True) -> ScanDoc:
    rng = random.Random(hashlib.sha256(f"{name}|{dpi}".encode()).digest())
    layout_rng = random.Random(hashlib.sha256(name.encode()).digest())  # same at every dpi
    with_header = layout_rng.random() < 0.5 if header is None else header
    ts = _Typesetter(dpi, layout_rng, title if with_header else None)
    title_px = round(22 / 72 * dpi)  # 二号
    for line in _title_lines(title, issuer):
        ts.line(line, font="NotoSerifCJK-Bold.ttc", px=title_px, align="center",
                step=title_px * 1.6)
    ts.gap(0.6)
    for para in paragraphs:
        if _HEADING.match(para) and len(para) <= ts.chars - 2:
            ts.line(para, font="NotoSansCJK-Regular.ttc", x=ts.left + 2 * ts.px)
        elif _SUBHEADING.match(para) and len(para) <= ts.chars - 2:
            ts.line(para, font="NotoSerifCJK-Bold.ttc", x=ts.left + 2 * ts.px)
        else:
            ts.paragraph(para)
    seal_at = None
    if signature:
        ts.gap(1.5)
        ts._room(len(signature) * ts.step + 10 * dpi / 25.4)
        sign_right = ts.right - 4 * ts.px
        first_y = ts.y
        for line in signature:
            ts.line(line, align="right", x=sign_right)
        width = _font("NotoSerifCJK-Regular.ttc", ts.px).getlength(signature[0])
        seal_at = (sign_right - width / 2, first_y + ts.px * 0.6 + len(signature) * ts.step / 4)
    doc = ScanDoc(name=name, dpi=dpi, title=title)
    for n, (img, lines) in enumerate(ts.pages, start=1):
        if not images:  # the ground truth only: the layout, without the scanner's work
            doc.pages.append(ScanPage(n, dpi, img, lines))
            continue
        _page_number(img, n, dpi, ts.left, ts.right)
        if seal_at is not None and n == len(ts.pages):
            _seal(img, seal_at, issuer, dpi, rng)
        scanned = _scan(img, dpi, rng)
        buf = BytesIO()
        scanned.save(buf, "JPEG", quality=90)
        doc.pages.append(ScanPage(n, dpi, scanned, lines, buf.getvalue()))
    return doc


def _signature(seed: str) -> list[str]:
    spec = SEEDS[seed]
    d = spec.published.date()
    return [spec.issuer, f"{d.year}年{d.month}月{d.day}日"]


def scanned_seed(seed: str, dpi: int = 150, *, max_pages: int | None = None,
                 header: bool | None = None, images: bool = True) -> ScanDoc:
    """A printed, signed, sealed and scanned copy of a seed report (`max_pages`: the first pages
    only, signed at the end all the same: a short document for quick tests)."""
    spec = SEEDS[seed]
    paragraphs = body_text(seed)
    if max_pages is not None:
        paragraphs = _fit(paragraphs, max_pages)
    return _compose(f"seed-{seed}", spec.title, spec.issuer, paragraphs, _signature(seed), dpi,
                    header=header, images=images)


def scanned_text(name: str, title: str, issuer: str, paragraphs: list[str], signature: list[str],
                 dpi: int = 150, *, header: bool | None = False) -> ScanDoc:
    """A scanned copy of any text (the test webs' reports)."""
    return _compose(name, title, issuer, paragraphs, signature, dpi, header=header)


def _fit(paragraphs: list[str], pages: int) -> list[str]:
    """Leading paragraphs that fill about `pages` pages (28 characters, 22 lines a page)."""
    budget = pages * 22 * 28 - 10 * 28  # room for the title and the signature
    out, used = [], 0
    for para in paragraphs:
        cost = (len(para) + 2 + 27) // 28 * 28
        if out and used + cost > budget:
            # The paragraph that does not fit is cut after its last sentence that does.
            room = budget - used - 2
            cut = para.rfind("。", 0, max(0, room)) + 1
            if cut >= 60:
                out.append(para[:cut])
            break
        out.append(para)
        used += cost
    while len(out) > 1 and len(out[-1]) <= 26 and (_HEADING.match(out[-1]) or _SUBHEADING.match(out[-1])):
        out.pop()  # a document does not end on a heading
    return out


def truth_table(dpis: tuple[int, ...] = (150, 300)) -> dict:
    """The measured set's ground truth: every seed at every resolution, page by page."""
    out: dict = {"note": "ground truth of tests/scans.py; regenerate with python tests/scans.py --write",
                 "tuning": list(TUNING), "held_out": list(HELD_OUT), "documents": []}
    for seed in sorted(SEEDS):
        for dpi in dpis:
            doc = scanned_seed(seed, dpi, images=False)
            out["documents"].append({"seed": seed, "dpi": dpi, "title": doc.title,
                                     "pages": [p.truth for p in doc.pages]})
    return out


def _main(argv: list[str]) -> int:
    table = truth_table()
    if "--write" in argv:
        TRUTH_FILE.parent.mkdir(parents=True, exist_ok=True)
        TRUTH_FILE.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {TRUTH_FILE}")
        return 0
    if "--images" in argv:  # for a look: bench/out/scans/<seed>-<dpi>-<page>.jpg
        out = TESTS.parent / "bench" / "out" / "scans"
        out.mkdir(parents=True, exist_ok=True)
        for seed in sorted(SEEDS):
            for dpi in (150, 300):
                for page in scanned_seed(seed, dpi).pages:
                    (out / f"{seed}-{dpi}-{page.number}.jpg").write_bytes(page.jpeg)
        print(f"images in {out}")
        return 0
    stored = json.loads(TRUTH_FILE.read_text(encoding="utf-8"))
    if stored != table:
        print("the generator no longer makes the committed ground truth", file=sys.stderr)
        return 1
    print("ground truth matches")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
