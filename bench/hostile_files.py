"""Hostile files through the parse job's reading, with and without the guards, next to a normal
report read both ways in the same run.

    .venv/bin/python bench/hostile_files.py [--repeat 3] [--only NAME ...] [--unguarded-cap-mb 3000]
                                            [--no-unguarded] [--no-ocr]

Each file of tests/hostile.py (built here, a few KB to a few MB each), and the normal report (a
40-paragraph PDF and DOCX from the seed texts: the baseline), is read:

- guarded: as the parse job reads a capture, parse_document in a sandbox worker under the
  default [limits] (jobs.parse_sandbox). Wall time in the caller, the worker's peak resident
  memory during the call (VmHWM), and that peak above the idle worker's (what the document
  cost). Median of --repeat runs.
- unguarded: the plain libraries in a fresh process (pdfminer.six's extract_text; zipfile +
  lxml with huge_tree for DOCX, as a reader without size checks does; olefile for DOC), once,
  capped at --unguarded-cap-mb of address space and 60 s so the machine survives it. "cap"
  means the cap stopped it: unguarded, it would have taken more.

Then a page of a hostile scan (tests/hostile.huge_image_scan) and of a normal scan, read by the
OCR job's sandboxed reader with the real engine.

Target: every hostile file ends within 2x the configured limits (wall_seconds) and no worker
grows more than 10% past memory_mb.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402
import seedpages  # noqa: E402
from web.hostilesite import HOSTILE_FILES  # noqa: E402
from jobs.config import load_settings  # noqa: E402
from jobs.parse_sandbox import ParseRunner  # noqa: E402
from jobs.parsing import parse_options  # noqa: E402
from pipeline.records import ParseFailure, Skipped  # noqa: E402

_UNGUARDED = {
    "pdf": "from pdfminer.high_level import extract_text; import sys; "
           "print(len(extract_text(sys.argv[1])))",
    "docx": "import zipfile, sys; from lxml import etree; z = zipfile.ZipFile(sys.argv[1]); "
            "r = etree.fromstring(z.read('word/document.xml'), "
            "etree.XMLParser(huge_tree=True, resolve_entities=True)); "
            "print(len(''.join(r.itertext())))",
    "doc": "import olefile, sys; o = olefile.OleFileIO(sys.argv[1]); "
           "print(len(o.openstream('WordDocument').read()))",
    "ofd": "import zipfile, sys; from lxml import etree; z = zipfile.ZipFile(sys.argv[1]); "
           "r = etree.fromstring(z.read('Doc_0/Pages/Page_0/Content.xml'), "
           "etree.XMLParser(huge_tree=True)); print(len(''.join(r.itertext())))",
    "text": "import sys; print(len(open(sys.argv[1], 'rb').read().decode('utf-8')))",
}
_UNGUARDED["wps"] = _UNGUARDED["docx"]  # a zip bomb named .wps: a reader trusting the bytes


def unguarded(body: bytes, fmt: str, cap_mb: int) -> tuple[float, float, str]:
    """(seconds, peak RSS MB, outcome) of the plain library reading *body* in a fresh process."""
    with tempfile.NamedTemporaryFile(suffix="." + fmt) as fh:
        fh.write(body)
        fh.flush()
        cap = cap_mb * 1024 * 1024

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _UNGUARDED[fmt], fh.name],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                preexec_fn=limit)
        deadline = started + 60
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return time.monotonic() - started, usage.ru_maxrss / 1024, "cap: killed at 60 s"
            time.sleep(0.05)
        seconds = time.monotonic() - started
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        proc.stderr.close() if proc.stderr else None
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            outcome = "read"
        elif "MemoryError" in err:
            outcome = f"cap: MemoryError at {cap_mb} MB"
        else:
            last = err.strip().splitlines()[-1] if err.strip() else f"status {status}"
            outcome = last[:50]
        return seconds, usage.ru_maxrss / 1024, outcome


def guarded(runner: ParseRunner, options, body: bytes, name: str,
            repeat: int) -> tuple[float, float, str]:
    """(median seconds, median peak RSS MB of the worker, outcome) through the sandbox."""
    times, peaks, outcome = [], [], ""
    for _ in range(repeat):
        started = time.monotonic()
        try:
            result = runner.parse(body, url=f"http://www.example.gov.cn/f/{name}",
                                  content_type=None, filename=name, options=options)
            outcome = ("skipped: " + result.reason) if isinstance(result, Skipped) \
                else f"ok ({result.status})"
        except ParseFailure as exc:
            outcome = f"{exc.stage}: {exc.reason}"
        times.append(time.monotonic() - started)
        stats = runner.sandbox.last if runner.sandbox else None
        peaks.append(stats.peak_rss_mb if stats else math.nan)
    return statistics.median(times), statistics.median(peaks), outcome


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--unguarded-cap-mb", type=int, default=3000)
    ap.add_argument("--no-unguarded", action="store_true")
    ap.add_argument("--no-ocr", action="store_true", help="leave out the OCR rows")
    args = ap.parse_args()

    settings = load_settings()
    lim = settings.limits
    from pipeline.tokens import make_tokenizer
    tokenizer = make_tokenizer(settings.search.tokenizer)
    options = parse_options(settings)
    files: list[tuple[str, str, bytes]] = []
    for key, fmt in (("003", "pdf"), ("003", "docx")):
        files.append((f"normal-report.{fmt} (baseline)", fmt, seedpages.build(key, fmt)[0]))
    for name, (build, fmt, _) in hostile.HOSTILE.items():
        if args.only and name not in args.only:
            continue
        files.append((f"{name}.{fmt}", fmt, build()))
    for name, (build, fmt) in HOSTILE_FILES.items():  # the containers HOSTILE has no entry for
        if name not in hostile.HOSTILE and (not args.only or name in args.only):
            files.append((f"{name}.{fmt}", fmt, build()))

    with ParseRunner(settings, tokenizer) as runner:
        assert runner.sandbox is not None, "[limits] sandbox is off"
        runner.sandbox.run(len, b"")  # the idle worker's size
        idle = runner.sandbox.last.peak_rss_mb if runner.sandbox.last else 0.0
        print(f"limits: memory_mb={lim.memory_mb} cpu_seconds={lim.cpu_seconds:g} "
              f"wall_seconds={lim.wall_seconds:g}; idle worker {idle:.0f} MB resident; "
              f"guarded: median of {args.repeat}")
        print(f"{'file':34} {'size':>9} | {'guarded s':>9} {'peak MB':>8} {'+idle':>6} | "
              f"{'unguarded s':>11} {'peak MB':>8} | outcome guarded / unguarded")
        worst_time = worst_mem = 0.0
        for name, fmt, body in files:
            g_s, g_mb, g_out = guarded(runner, options, body, name, args.repeat)
            if args.no_unguarded:
                u_s, u_mb, u_out = math.nan, math.nan, "-"
            else:
                u_s, u_mb, u_out = unguarded(body, fmt, args.unguarded_cap_mb)
            if "baseline" not in name:
                worst_time = max(worst_time, g_s)
                worst_mem = max(worst_mem, g_mb - idle)
            print(f"{name:34} {len(body):>9} | {g_s:>9.2f} {g_mb:>8.0f} {g_mb - idle:>+6.0f} | "
                  f"{u_s:>11.2f} {u_mb:>8.0f} | {g_out[:70]} / {u_out}", flush=True)
    print(f"worst hostile file: {worst_time:.1f} s (limit {2 * lim.wall_seconds:g} s = 2x "
          f"wall_seconds), {worst_mem:+.0f} MB over the idle worker (limit "
          f"{1.1 * lim.memory_mb:.0f} MB = memory_mb + 10%)")
    if not args.no_ocr:
        ocr_rows(settings, args.repeat)


def ocr_rows(settings, repeat: int) -> None:
    """A page of a hostile scan and of a normal one, read by OCR (the real engine) as the OCR
    job reads: in its sandbox worker, under [limits] plus [ocr] page_seconds."""
    import filebuilders as fb
    from jobs.ocr import _Reader

    lim, page_s = settings.limits, settings.ocr.page_seconds
    print(f"\nOCR, one page each, in the OCR job's sandbox (cpu {lim.cpu_seconds + page_s:g} s, "
          f"wall {lim.wall_seconds + page_s:g} s, memory_mb {lim.memory_mb}); median time and largest peak of {repeat}")
    print(f"{'file':34} {'size':>9} | {'s':>6} {'peak MB':>8} {'+idle':>6} | outcome")
    for name, body in (("normal-scan.pdf (baseline)", fb.build_scanned_pdf(1)),
                       ("scan-huge-image.pdf", hostile.huge_image_scan())):
        # A fresh worker per file: onnxruntime keeps what a page took, so a second file's
        # peak would start from the first's.
        with _Reader(settings, None) as reader:
            reader.sandbox.run(len, b"")
            idle = reader.sandbox.last.peak_rss_mb
            times, peaks, outcome = [], [], ""
            for _ in range(repeat):
                started = time.monotonic()
                page = reader.page(body, "pdf", 0)
                times.append(time.monotonic() - started)
                peaks.append(reader.sandbox.last.peak_rss_mb if reader.sandbox.last else math.nan)
                outcome = f"{page['status']}: {len(page['lines'])} lines {page['error']}"
            g_mb = max(peaks)
            print(f"{name:34} {len(body):>9} | {statistics.median(times):>6.2f} {g_mb:>8.0f} "
                  f"{g_mb - idle:>+6.0f} | {outcome[:90]}", flush=True)


if __name__ == "__main__":
    main()
