"""Character error rate and pages per minute of the OCR on the measured set (tests/scans.py: every
seed printed, sealed and scanned at 300 and 150 dpi), on one core (onnxruntime limited to one
thread), next to a baseline measured in the same run: the time to render the same pages from the
PDF alone (what any OCR of a scan pays before reading a character).

    .venv/bin/python bench/ocr_speed.py [--dpi 300 150] [--seeds 000 001 ...] [--repeat 1]

CER is the edit distance between what the pipeline makes of a document (pipeline.ocr: reading
order, headers, page numbers and seal out) and the printed body, over the printed body's length,
white space ignored, full and half width alike (NFKC). Reported for the tuning half (seeds 000,
002, 004) and the held-out half (001, 003) apart. Also: the near-duplicate similarity (MinHash
Jaccard, pipeline.dedup) of each OCR'd report against the same report parsed from its text, next
to the merge thresholds, to show that OCR noise does not keep a scan from merging.
Targets: CER <= 2% at 300 dpi, <= 5% at 150 dpi; >= 10 pages a minute on one core.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

WORK_DPI = 150  # [ocr] dpi: pages are rendered at this resolution, whatever they were scanned at


def _norm(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def _distance(a: str, b: str) -> int:
    try:
        from rapidfuzz.distance import Levenshtein
        return Levenshtein.distance(a, b)
    except ImportError:  # pragma: no cover - without the bench extra: slower, same answer
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]


def measure(*, dpis=(300, 150), seeds=None, repeat: int = 1, out=print) -> dict:
    import scans
    from pipeline import ocr
    from pipeline.dedup import MERGE_THRESHOLD, UNCONFIRMED_THRESHOLD, fingerprint
    from pipeline.process import parse_document, parse_text

    seeds = list(seeds or sorted(scans.TUNING + scans.HELD_OUT))
    engine = ocr.make_engine(1)
    figures: dict = {}
    for dpi in dpis:
        rows = []
        for seed in seeds:
            doc = scans.scanned_seed(seed, dpi)
            pdf = doc.pdf()
            n = len(doc.pages)
            ocr_cpu, render_cpu = [], []
            for _ in range(repeat):
                t = time.process_time()
                images = list(ocr.render_pdf_pages(pdf, range(n), dpi=WORK_DPI, max_side=4000))
                render_cpu.append(time.process_time() - t)
                t = time.process_time()
                pages = [ocr.read_page(engine, img, number=k, px_per_point=img.shape[1] / w,
                                       seconds=120)
                         for k, img, w, _, _ in ocr.render_pdf_pages(pdf, range(n), dpi=WORK_DPI,
                                                                     max_side=4000)]
                ocr_cpu.append(time.process_time() - t)
                del images
            text = ocr.ocr_text(pages, engine=engine.name)
            got, want = _norm("".join(text.lines)), _norm("".join(doc.truth))
            errors = _distance(got, want)
            parsed = parse_document(pdf, filename="scan.pdf", ocr=text)
            reference = parse_text("\n".join(scans.body_text(seed)))
            jaccard = None
            if not isinstance(parsed, type(None)) and hasattr(parsed, "text") and hasattr(reference, "text"):
                jaccard = fingerprint(parsed.text).jaccard(fingerprint(reference.text))
            rows.append({"seed": seed, "pages": n, "chars": len(want), "errors": errors,
                         "ocr_cpu": statistics.median(ocr_cpu), "render_cpu": statistics.median(render_cpu),
                         "confidence": text.confidence, "jaccard": jaccard,
                         "held_out": seed in scans.HELD_OUT})
            out(f"  {dpi} dpi seed {seed}: {n} pages, CER {errors / len(want):.4f}, "
                f"confidence {text.confidence:.4f}, {statistics.median(ocr_cpu) / n:.2f} s/page, "
                f"Jaccard vs text {jaccard:.3f}" if jaccard is not None else "")

        def cer(rs):
            return sum(r["errors"] for r in rs) / max(1, sum(r["chars"] for r in rs))

        pages = sum(r["pages"] for r in rows)
        cpu = sum(r["ocr_cpu"] for r in rows)
        render = sum(r["render_cpu"] for r in rows)
        figures[dpi] = {
            "cer": cer(rows), "cer_tuning": cer([r for r in rows if not r["held_out"]]),
            "cer_held_out": cer([r for r in rows if r["held_out"]]), "pages": pages,
            "pages_per_minute": 60 * pages / cpu if cpu else 0.0,
            "seconds_per_page": statistics.median(r["ocr_cpu"] / r["pages"] for r in rows),
            "render_seconds_per_page": render / pages if pages else 0.0,
            "min_jaccard": min((r["jaccard"] for r in rows if r["jaccard"] is not None), default=None),
            "thresholds": (MERGE_THRESHOLD, UNCONFIRMED_THRESHOLD),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, nargs="+", default=[300, 150])
    parser.add_argument("--seeds", nargs="+")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; CPU time of this process "
          f"(onnxruntime: 1 thread); pages rendered at {WORK_DPI} dpi")
    figures = measure(dpis=tuple(args.dpi), seeds=args.seeds, repeat=args.repeat)
    print()
    print(f"{'scan':>8}  {'CER all':>8} {'tuning':>8} {'held-out':>8}  {'pages':>5} "
          f"{'pages/min':>9} {'s/page':>7} {'render s/page (baseline)':>24}  {'min Jaccard':>11}")
    for dpi, f in figures.items():
        jac = f"{f['min_jaccard']:.3f}" if f["min_jaccard"] is not None else "-"
        print(f"{dpi:>4} dpi  {f['cer']:>8.4f} {f['cer_tuning']:>8.4f} {f['cer_held_out']:>8.4f}  "
              f"{f['pages']:>5} {f['pages_per_minute']:>9.1f} {f['seconds_per_page']:>7.2f} "
              f"{f['render_seconds_per_page']:>24.3f}  {jac:>11}")
    t = next(iter(figures.values()))["thresholds"]
    print(f"merge thresholds (pipeline.dedup): {t[0]} with place and year confirmed, {t[1]} without")
    print("targets: CER <= 0.02 at 300 dpi, <= 0.05 at 150 dpi; >= 10 pages/min on one core")


if __name__ == "__main__":
    main()
