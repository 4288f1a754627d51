"""Deduplicate 1k, 10k and 100k generated report-sized documents: time and peak memory per size.

    .venv/bin/python bench/dedup_scale.py                       # 1000,10000,100000
    .venv/bin/python bench/dedup_scale.py --sizes 1000,10000

Documents come from tests/dedup_corpus.report_stream (generated lazily from the seed reports,
~4,000 characters each, about half of them copies of another) and go one at a time through what
the jobs do: fingerprint, find_match against the in-memory NearDuplicateIndex, add. Each size runs
in its own process, so its peak RSS (ru_maxrss) is its own; generation time is kept apart.

Targets: dedup time about linear (100k within 15x of 10k) and 100k within 2 GB. Anchors measured
in the same run: the same fingerprints with datasketch's default hashing (SHA-1 per shingle through
MinHash.update_batch), and an all-pairs comparison of 1k signatures scaled to 100k, which is what
the LSH avoids.
"""
from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

TIME_RATIO_TARGET = 15.0  # 100k may take at most 15x the time of 10k (10x the documents)
MEMORY_TARGET_MB = 2048


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _pair_scores(truth: list[int], predicted: list[int]) -> tuple[float, float]:
    def pairs(n: int) -> int:
        return n * (n - 1) // 2
    both = sum(pairs(n) for n in collections.Counter(zip(predicted, truth)).values())
    return (both / max(sum(pairs(n) for n in collections.Counter(predicted).values()), 1),
            both / max(sum(pairs(n) for n in collections.Counter(truth).values()), 1))


def run_size(count: int) -> dict[str, float]:
    """Deduplicate `count` streamed documents in this process and measure it."""
    from dedup_corpus import report_stream
    from pipeline.dedup import NearDuplicateIndex, content_sha256, find_match, fingerprint

    next(report_stream(1))  # load the seeds and the sentence pool before the baseline
    baseline_mb = _rss_mb()
    index = NearDuplicateIndex()
    truth: list[int] = []
    predicted: list[int] = []
    chars = 0
    methods: collections.Counter[str] = collections.Counter()
    dedup_wall = dedup_cpu = 0.0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for doc in report_stream(count):
        w, c = time.perf_counter(), time.process_time()
        mh, digest = fingerprint(doc.text), content_sha256(doc.text)
        decision, matched = find_match(doc.text, doc.key, index, signature=mh, content_hash=digest)
        report = matched.doc_id if decision.same else doc.key.doc_id
        index.add(replace(doc.key, doc_id=report), mh, content_hash=digest)
        dedup_wall += time.perf_counter() - w
        dedup_cpu += time.process_time() - c
        methods[decision.method] += 1
        truth.append(doc.cluster)
        predicted.append(report)
        chars += len(doc.text)
    precision, recall = _pair_scores(truth, predicted)
    return {
        "documents": count, "reports_found": len(index), "reports_true": len(set(truth)),
        "avg_chars": chars / count, "dedup_wall_s": dedup_wall, "dedup_cpu_s": dedup_cpu,
        "total_wall_s": time.perf_counter() - wall0, "total_cpu_s": time.process_time() - cpu0,
        "peak_rss_mb": _rss_mb(), "baseline_rss_mb": baseline_mb,
        "exact": methods["exact"], "near": methods["near"], "precision": precision, "recall": recall,
    }


def run_anchors(count: int = 1000) -> dict[str, float]:
    """Baselines on the first `count` documents: datasketch's default fingerprint, all pairs."""
    import numpy as np
    from datasketch import MinHash

    from dedup_corpus import report_stream
    from pipeline.dedup import comparison_text, fingerprint

    texts = [doc.text for doc in report_stream(count)]
    cpu = time.process_time()
    signatures = [fingerprint(text) for text in texts]
    ours = (time.process_time() - cpu) / count
    cpu = time.process_time()
    for text in texts:
        shingles = comparison_text(text)
        reference = MinHash(num_perm=128)
        reference.update_batch([shingles[i:i + 5].encode("utf-8") for i in range(len(shingles) - 4)])
    default = (time.process_time() - cpu) / count
    values = np.array([s.hashvalues for s in signatures])
    cpu = time.process_time()
    for i in range(count):  # one vectorised row per document: the cheapest all-pairs there is
        np.count_nonzero(values[i + 1:] == values[i], axis=1)
    pairs_s = time.process_time() - cpu
    return {"fingerprint_ms": ours * 1000, "datasketch_default_ms": default * 1000,
            "all_pairs_1k_s": pairs_s, "all_pairs_100k_s": pairs_s * (100_000 / count) ** 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--anchors", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_size(args.child)))
        return
    if args.anchors:
        print(json.dumps(run_anchors()))
        return

    def child(*extra: str) -> dict[str, float]:
        out = subprocess.run([sys.executable, __file__, *extra], check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    anchors = child("--anchors")
    print(f"anchor, 1k documents: fingerprint {anchors['fingerprint_ms']:.2f} ms CPU/doc here, "
          f"{anchors['datasketch_default_ms']:.2f} ms with datasketch's default SHA-1 hashing; "
          f"all-pairs Jaccard {anchors['all_pairs_1k_s']:.2f} s for 1k, "
          f"~{anchors['all_pairs_100k_s'] / 3600:.1f} h extrapolated to 100k", flush=True)
    header = (f"{'docs':>7} {'dedup wall s':>12} {'dedup CPU s':>11} {'ms/doc CPU':>10} {'peak RSS MB':>11} "
              f"{'base MB':>8} {'reports':>8} {'true':>7} {'exact':>6} {'near':>6} {'P':>7} {'R':>7}")
    print(header, flush=True)
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        r = child("--child", str(size))
        results[size] = r
        print(f"{size:>7} {r['dedup_wall_s']:>12.1f} {r['dedup_cpu_s']:>11.1f} "
              f"{r['dedup_cpu_s'] / size * 1000:>10.2f} {r['peak_rss_mb']:>11.0f} {r['baseline_rss_mb']:>8.0f} "
              f"{r['reports_found']:>8} {r['reports_true']:>7} {r['exact']:>6} {r['near']:>6} "
              f"{r['precision']:>7.4f} {r['recall']:>7.4f}", flush=True)
    if 10_000 in results and 100_000 in results:
        ratio = results[100_000]["dedup_cpu_s"] / results[10_000]["dedup_cpu_s"]
        wall_ratio = results[100_000]["dedup_wall_s"] / results[10_000]["dedup_wall_s"]
        peak = results[100_000]["peak_rss_mb"]
        print(f"100k / 10k dedup time: {ratio:.1f}x CPU, {wall_ratio:.1f}x wall (target <= {TIME_RATIO_TARGET:.0f}x): "
              f"{'ok' if ratio <= TIME_RATIO_TARGET else 'FAIL'}")
        print(f"100k peak memory: {peak:.0f} MB (target <= {MEMORY_TARGET_MB} MB): "
              f"{'ok' if peak <= MEMORY_TARGET_MB else 'FAIL'}")


if __name__ == "__main__":
    main()
