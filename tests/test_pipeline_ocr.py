"""pipeline/ocr.py: reading order, page furniture, the seal, OCR's typical misreads; and the real
engine on one small scanned page (the measured set is bench/ocr_speed.py and the slow test)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from pipeline import ocr
from pipeline.ocr import OcrLine, OcrPage

W, H = ocr.A4_POINTS
CHAR = 16.0  # points: 三号
LEFT, RIGHT = 80.0, 80.0 + 28 * CHAR


def line(text: str, y: float, x0: float = LEFT, *, conf: float = 0.99, size: float = CHAR) -> OcrLine:
    width = sum(size if ord(c) > 0x2E80 else size * 0.55 for c in text)
    return OcrLine(text, conf, x0 - 2, y - 3, x0 + width + 2, y + size + 3)


def test_rows_join_into_paragraphs_by_indent_and_margin():
    # A paragraph of three lines (indented first line, full lines, short last line), then another.
    page = OcrPage(0, W, H, (
        line("一" * 26, 120, LEFT + 2 * CHAR), line("二" * 28, 150), line("三" * 10 + "。", 180),
        line("四" * 26, 210, LEFT + 2 * CHAR), line("五" * 5 + "。", 240)))
    assert ocr.document_lines([page]) == ["一" * 26 + "二" * 28 + "三" * 10 + "。", "四" * 26 + "五" * 5 + "。"]


def test_boxes_of_one_line_are_one_row_left_to_right():
    page = OcrPage(0, W, H, (line("发布机构：", 120, LEFT + 200), line("标题：", 120), line("甲" * 20, 150)))
    rows = ocr.reading_order(page)
    assert [ocr._row_text(r) for r in rows][:1] == ["标题：发布机构："]


def test_two_columns_read_left_column_first_with_a_full_width_title():
    col = 13 * CHAR
    lines = [line("报告标题居中横跨两栏" * 2, 100, LEFT + 2 * CHAR)]
    for k in range(8):
        lines.append(line(f"左栏第{k}行" + "甲" * 7, 140 + 24 * k, LEFT))
        lines.append(line(f"右栏第{k}行" + "乙" * 7, 141 + 24 * k, LEFT + col + 2 * CHAR))
    rows = [ocr._row_text(r) for r in ocr.reading_order(OcrPage(0, W, H, tuple(lines)))]
    assert rows[0].startswith("报告标题")
    assert [r[:4] for r in rows[1:]] == ["左栏第0"[:4]] * 0 + [f"左栏第{k}"[:4] for k in range(8)] + \
        [f"右栏第{k}"[:4] for k in range(8)]


def test_page_numbers_and_running_headers_are_not_text():
    header = "酉阳土家族苗族自治县司法局关于2024年法治政府建设情况的报告"
    pages = []
    for n in range(3):
        body = [line("正" * 26 + "文", 120 + 30 * k, LEFT + (2 * CHAR if k == 0 else 0)) for k in range(3)]
        # OCR reads the header a little differently on each page, and the dashes as 一 or -.
        furniture = [line(header.replace("酉", "西") if n == 1 else header, 40, LEFT + 20, size=10),
                     line(["一1一", "—2-", "一 3 一"][n], 790, RIGHT - 40, size=14)]
        pages.append(OcrPage(n, W, H, tuple((furniture if n else furniture[1:]) + body)))
    text = "".join(ocr.document_lines(pages))
    assert "报告" not in text and not re.search(r"\d", text)
    assert text.count("正") == 3 * 3 * 26


def test_a_small_line_alone_above_the_text_is_a_header_but_the_title_is_not():
    page = OcrPage(0, W, H, (line("内部资料 注意保存", 30, LEFT, size=9),
                             line("某县司法局2024年法治政府建设年度报告", 110, LEFT + 20, size=22),
                             line("甲" * 26, 160, LEFT + 2 * CHAR), line("乙" * 20 + "。", 190)))
    assert ocr.document_lines([page]) == ["某县司法局2024年法治政府建设年度报告", "甲" * 26 + "乙" * 20 + "。"]


@pytest.mark.parametrize("read, printed", [
    ("西阳土家族苗族自治县司法局", "酉阳土家族苗族自治县司法局"),  # a misread the gazetteer repairs
    ("全县共有行政复议案件3件,同比下降(含撤回)", "全县共有行政复议案件3件，同比下降（含撤回）"),
    ("武陵山区城镇群", "武陵山区城镇群"),  # not a misread of 武陵源区: short names are left alone
    ("Windows 10, v2", "Windows 10, v2"),  # Latin text keeps its punctuation
    ("合川区司法局", "合川区司法局"),
])
def test_fix_text(read, printed):
    assert ocr.fix_text(read) == printed


def test_red_ink_is_dropped_and_black_ink_under_it_kept():
    img = np.full((40, 40, 3), 245, dtype=np.uint8)
    img[5:15, 5:15] = (40, 30, 210)  # red (BGR)
    img[20:30, 20:30] = (10, 10, 10)  # black
    img[22:24, 22:24] = (5, 0, 60)  # black under red: multiply keeps it dark
    out = ocr.drop_red(img)
    assert (out[5:15, 5:15] > 200).all() and (out[20:30, 20:30] < 70).all()


class FakeEngine:
    """Boxes and texts given in advance; counts calls, can be slow."""

    name = "fake 1.0"

    def __init__(self, boxes, texts, *, tick=None):
        self.boxes, self.texts, self.tick, self.batches = boxes, texts, tick, 0

    def detect(self, image):
        return [np.array(b, dtype=np.float32) for b in self.boxes]

    def recognise(self, crops):
        self.batches += 1
        if self.tick:
            self.tick()
        out = self.texts[:len(crops)]
        self.texts = self.texts[len(crops):]
        return out


def _box(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def test_read_page_positions_in_points_and_slanted_boxes_out():
    boxes = [_box(100, 100, 700, 140), [[100, 300], [300, 200], [320, 240], [120, 340]]]
    engine = FakeEngine(boxes, [("第一行", 0.98), ("印章", 0.9)])
    page = ocr.read_page(engine, np.full((1754, 1240, 3), 250, np.uint8), number=2, px_per_point=2.0)
    assert page.status == "ok" and page.number == 2 and (page.width, page.height) == (620, 877)
    assert [(ln.text, ln.x0, ln.y0) for ln in page.lines] == [("第一行", 50.0, 50.0)]


def test_read_page_stops_at_its_time_limit_keeping_the_lines_read():
    now = [0.0]
    boxes = [_box(100, 100 + 50 * k, 700, 140 + 50 * k) for k in range(20)]
    engine = FakeEngine(boxes, [(f"行{k}", 0.9) for k in range(20)],
                        tick=lambda: now.__setitem__(0, now[0] + 5.0))
    page = ocr.read_page(engine, np.full((1754, 1240, 3), 250, np.uint8), number=0,
                         px_per_point=2.0, seconds=8.0, clock=lambda: now[0])
    assert page.status == "timeout" and "8 s" in page.error
    assert [ln.text for ln in page.lines] == [f"行{k}" for k in range(16)]  # two batches of 8


def test_pages_round_trip_as_plain_values():
    page = OcrPage(1, W, H, (line("甲乙丙", 100),), "timeout", "time limit", 1.5)
    again = OcrPage.from_dict(page.as_dict())
    assert again.status == "timeout" and again.lines[0].text == "甲乙丙"


def test_broken_image_and_pdf_raise_ocr_error():
    with pytest.raises(ocr.OcrError):
        ocr.page_from_image(b"\xff\xd8\xffnot really", dpi=150, max_pixels=10**8)
    with pytest.raises(ocr.OcrError):
        ocr.pdf_page_count(b"%PDF-1.4 broken")


def test_oversized_picture_is_refused_before_decoding():
    from io import BytesIO

    from PIL import Image
    buf = BytesIO()
    Image.new("L", (3000, 4000), 255).save(buf, "PNG")
    with pytest.raises(ocr.OcrError, match="too large"):
        ocr.page_from_image(buf.getvalue(), dpi=150, max_pixels=10_000_000)


@pytest.fixture(scope="module")
def engine():
    return ocr.make_engine(1)


def test_the_engine_reads_a_small_scanned_page_and_leaves_the_seal(engine):
    """One half-page scan at 100 dpi: the real models, in a few seconds."""
    import scans
    doc = scans.scanned_text("t", "某某县司法局2024年法治政府建设年度报告", "某某县司法局",
                             ["一是坚持依法行政，全年办理行政复议案件128件，纠错率12.5%。"],
                             ["某某县司法局", "2025年3月1日"], dpi=100)
    image, px = ocr.page_from_image(doc.pages[0].jpeg, dpi=100, max_pixels=10**8)
    page = ocr.read_page(engine, image, number=0, px_per_point=px, seconds=60)
    text = ocr.ocr_text([page])
    joined = "".join(text.lines)
    assert "办理行政复议案件128件" in joined and "2025年3月1日" in joined
    # The title's and the signature's, not the seal's. At 100 dpi the models may read 县 as its
    # look-alike 具 in one of them, so count the part they never miss.
    assert joined.count("司法局") == 2
    assert text.confidence is not None and text.confidence > 0.9


def test_a_scanned_page_among_text_pages_is_marked_for_ocr_and_the_text_kept():
    """The signed and sealed last page scanned and put back into an exported PDF."""
    from io import BytesIO

    import pypdf

    import filebuilders as fb
    from pipeline.files import extract_file_text
    from pipeline.process import ocr_plan
    text_pdf = fb.build_pdf(["某县司法局2024年法治政府建设年度报告"] + ["一是坚持依法行政，全年办理行政复议案件128件。" * 6] * 12)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(BytesIO(text_pdf)))
    for page in pypdf.PdfReader(BytesIO(fb.build_scanned_pdf(pages=1))).pages:
        writer.add_page(page)
    buf = BytesIO()
    writer.write(buf)
    got = extract_file_text(buf.getvalue(), "pdf")
    pages = len(writer.pages)
    assert got.status == "needs_ocr" and got.ocr_pages == (pages - 1,)
    assert any("行政复议案件128件" in line for line in got.lines)
    assert ocr_plan(buf.getvalue(), filename="r.pdf").pages == (pages - 1,)
