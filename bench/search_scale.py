"""Full-text search at scale: generate N report-sized documents, index them, and time a fixed set of
two-word and phrase queries with filters, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

    .venv/bin/python bench/search_scale.py [--n 100000] [--backends sqlite,postgresql] [--keep]
    .venv/bin/python bench/search_scale.py --db URL [--db URL] [--rank-window N]   # a kept database

Documents recombine the seeds' paragraphs with other counties, years and figures (about 7,700
characters each), with a few sentences of known rarity (府院联动 in 2%, 无人机 in 5%). Most query
words are, as in real reports, in most documents: those select but do not rank. Prints
load and index time, indexing characters per second, database size, and query latency p50/p95
(search() as the CLI calls it: ranked hits plus snippets), next to the anchor measured in the same
run: a plain substring scan (LIKE / strpos), what search would cost without the index.
Exactness: several hundred query strings drawn from the stored texts (2 to 8 characters, some
across jieba's word boundaries, some that occur nowhere) are counted by search and by a substring
scan of the folded texts; the two must agree for every string (100%). Index sizes are printed
next to the size of the texts.
Targets at 100k reports: p95 under 10 ms (SQLite) and 20 ms (PostgreSQL) with filters; indexing at
least 1M characters a second on a 2-core machine.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from pipeline.dedup import content_sha256  # noqa: E402
from pipeline.tokens import Tokenizer, make_tokenizer  # noqa: E402
from storage.db import Database, open_database  # noqa: E402
from storage.models import Report  # noqa: E402
from storage.grams import fold  # noqa: E402
from storage.search import (Filters, begin_bulk_indexing, count_matches,  # noqa: E402
                            end_bulk_indexing, index_rows, refresh_common_words, search,
                            write_index_rows)

SEEDS = ROOT / "tests" / "data" / "seeds"
PG_URL = os.environ.get("GOVREPORTS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PROVINCES = [("11", "北京市"), ("13", "河北省"), ("14", "山西省"), ("21", "辽宁省"), ("32", "江苏省"),
             ("33", "浙江省"), ("34", "安徽省"), ("35", "福建省"), ("36", "江西省"), ("37", "山东省"),
             ("41", "河南省"), ("42", "湖北省"), ("43", "湖南省"), ("44", "广东省"), ("45", "广西壮族自治区"),
             ("50", "重庆市"), ("51", "四川省"), ("52", "贵州省"), ("53", "云南省"), ("61", "陕西省"),
             ("62", "甘肃省"), ("65", "新疆维吾尔自治区")]
NAME_CHARS = "安宁平和丰泰兴华阳江山河源清远德化永春南城东西新明光长乐嘉定武隆开元通海"
# Sentences of known rarity, so that some queries are selective as real ones are.
RARE = [(0.02, "深化府院联动机制，推动行政争议实质性化解。"),
        (0.05, "探索无人机辅助执法，全年巡查{n}架次。"),
        (0.01, "运用区块链技术固定电子证据{n}份。"),
        (0.10, "推行证明事项告知承诺制，办理告知承诺事项{n}件。")]
BATCH = 1000


def _paragraphs() -> list[str]:
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        lines = [re.sub(r"\s+", "", line) for line in path.read_text("utf-8").splitlines()]
        out += [line for line in lines if len(line) > 30]
    return out


class Generator:
    """Deterministic report-like documents with their fields."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.paras = _paragraphs()
        self.counties = []
        for code, prov in PROVINCES:
            for city in range(1, 9):
                for county in range(1, 13):
                    name = "".join(self.rng.sample(NAME_CHARS, 2))
                    self.counties.append((f"{code}{city:02d}{county:02d}", prov, name + self.rng.choice("县区")))

    def _figures(self, text: str) -> str:
        return re.sub(r"(?<!20)\d+", lambda m: str(self.rng.randint(1, 10 ** len(m.group()))), text)

    def doc(self, i: int) -> dict[str, Any]:
        rng = self.rng
        code, prov, county = rng.choice(self.counties)
        year = rng.choice(range(2019, 2025))
        issuer = county + rng.choice(["人民政府", "司法局"])
        kind = "annual_report" if rng.random() < 0.9 else rng.choice(["work_summary", "news", "interpretation"])
        paras = [self._figures(p) for p in rng.sample(self.paras, rng.randint(18, 32))]
        paras += [s.format(n=rng.randint(1, 500)) for p, s in RARE if rng.random() < p]
        rng.shuffle(paras)
        text = "\n".join(paras)
        for old in ("酉阳土家族苗族自治县", "酉阳县", "和平县", "XX区"):
            text = text.replace(old, county)
        text = text.replace("酉阳", county[:2]).replace("和平", county[:2]).replace("XX", county[:2])
        text = re.sub(r"20(2[0-4])年", f"{year}年", text)
        published = dt.date(year + 1, 1, 1) + dt.timedelta(days=rng.randint(0, 150))
        return {"id": i, "title": f"{issuer}关于{year}年法治政府建设情况的报告", "issuer": issuer,
                "region_code": code, "region_name": prov + county, "report_year": year,
                "published_at": published, "kind": kind, "text": text,
                "content_sha256": content_sha256(text), "fields": {},
                "created_at": dt.datetime.now(dt.timezone.utc), "updated_at": dt.datetime.now(dt.timezone.utc)}


def load(db: Database, n: int) -> tuple[float, int]:
    """Insert N generated reports (no index); returns seconds spent inserting, and characters."""
    gen, chars, secs = Generator(), 0, 0.0
    for lo in range(1, n + 1, BATCH):
        rows = [gen.doc(i) for i in range(lo, min(lo + BATCH, n + 1))]
        chars += sum(len(r["text"]) for r in rows)
        start = time.perf_counter()
        with db.session() as s:
            s.execute(sa.insert(Report), rows)
        secs += time.perf_counter() - start
    return secs, chars


class Entry(NamedTuple):
    id: int
    title: str | None
    text: str
    report_year: int | None
    region_code: str | None
    kind: str
    published_at: dt.date | None


_WORKER_TOKENIZER: Tokenizer | None = None


_WORKER_DIALECT: str | None = None


def _init_worker(backend: str, dialect: str) -> None:
    global _WORKER_TOKENIZER, _WORKER_DIALECT
    _WORKER_TOKENIZER, _WORKER_DIALECT = make_tokenizer(backend).load(), dialect


def _tokenize(rows: list[Entry]) -> list[dict[str, Any]]:
    assert _WORKER_TOKENIZER is not None
    return index_rows(rows, _WORKER_TOKENIZER, _WORKER_DIALECT)


def index_all(db: Database, tokenizer: Tokenizer, workers: int) -> float:
    """Index every report: read a batch, tokenize it (in *workers* other processes, overlapping
    the database's writes, or inline), write it. Returns seconds, and prints the CPU seconds
    it took (a figure that a shared machine's load does not inflate)."""
    start, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with db.session() as s:
        begin_bulk_indexing(s)
    pool = ProcessPoolExecutor(workers, initializer=_init_worker,
                               initargs=(tokenizer.backend, db.dialect)) if workers else None
    pending: deque[Future[list[dict[str, Any]]]] = deque()
    # PostgreSQL does most of a write on the server (to_tsvector above all), one core per
    # connection: two connections write batches side by side. SQLite has one writer.
    n_writers = 2 if db.dialect == "postgresql" else 1
    writers = ThreadPoolExecutor(n_writers)
    written: deque[Future[None]] = deque()
    last = 0

    def write_one(values: list[dict[str, Any]]) -> None:
        with db.session() as s:
            write_index_rows(s, values)

    def write(values: list[dict[str, Any]]) -> None:
        written.append(writers.submit(write_one, values))
        while len(written) > n_writers:
            written.popleft().result()

    while True:
        with db.session() as s:
            rows = [Entry(*r) for r in s.execute(
                sa.select(Report.id, Report.title, Report.text, Report.report_year,
                          Report.region_code, Report.kind, Report.published_at)
                .where(Report.id > last).order_by(Report.id).limit(BATCH))]
        if not rows:
            break
        last = rows[-1].id
        if pool is None:
            write(index_rows(rows, tokenizer, db.dialect))
            continue
        pending.append(pool.submit(_tokenize, rows))
        if len(pending) > workers:
            write(pending.popleft().result())
    while pending:
        write(pending.popleft().result())
    while written:
        written.popleft().result()
    writers.shutdown()
    if pool is not None:
        pool.shutdown()
    with db.session() as s:
        end_bulk_indexing(s)
    cpu1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    own = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    kids = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
    print(f"index CPU: {own:.1f} s in this process (reads, writes), {kids:.1f} s in {workers} "
          f"tokenizing processes" + ("" if db.dialect == "sqlite" else "; the server's not counted"))
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE report_fts"))
            conn.execute(sa.text("VACUUM ANALYZE report_text"))
            conn.execute(sa.text("VACUUM ANALYZE reports"))
    return time.perf_counter() - start


def db_size(db: Database, path: Path | None) -> int:
    if path is not None:
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar() or 0)


QUERIES = ["行政复议 败诉", "法律援助 公证", "合法性审查 规范性文件", "庭审 旁听", "府院联动",
           "无人机 执法", '"行政机关负责人出庭应诉"', '"重大行政决策"', '"证明事项告知承诺制"',
           "复议 OR 诉讼",
           # across jieba's word boundaries, two characters, Latin and numbers
           "复议案", "诉讼案 败诉", "社区矫正", "公证", "2023年"]


def filter_sets(gen: Generator) -> list[Filters]:
    code = gen.counties[len(gen.counties) // 3][0]
    return [Filters(year=2023), Filters(region=code[:2]), Filters(region=code[:4], year=2022),
            Filters(region=code), Filters(kind="annual_report", year=2024, region=code[:2]),
            Filters(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 3, 31)),
            Filters(issuer="司法局", year=2021)]


def time_queries(db: Database, tokenizer: Tokenizer, cases: list[tuple[str, Filters]],
                 repeat: int, rank_window: int | None = 0) -> list[float]:
    ms = []
    with db.session() as s:
        for query, filters in cases:  # warm-up: first touches of pages and caches
            search(s, query, tokenizer=tokenizer, filters=filters, rank_window=rank_window)
        for _ in range(repeat):
            for query, filters in cases:
                start = time.perf_counter()
                search(s, query, tokenizer=tokenizer, filters=filters, rank_window=rank_window)
                ms.append((time.perf_counter() - start) * 1000)
    return ms


def substring_anchor(db: Database, words: list[str]) -> list[float]:
    """What a query costs without the index: count one year's reports holding each word by
    scanning their texts."""
    fn = "instr" if db.dialect == "sqlite" else "strpos"
    ms = []
    with db.session() as s:
        for word in words:
            start = time.perf_counter()
            s.execute(sa.select(sa.func.count()).where(getattr(sa.func, fn)(Report.text, word) > 0,
                                                       Report.report_year == 2023)).scalar()
            ms.append((time.perf_counter() - start) * 1000)
    return ms


def index_sizes(db: Database) -> dict[str, int]:
    """Bytes on disk of the texts, the word index and the exact index (tables and their indexes)."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            rows = dict(conn.execute(sa.text(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")).all())
            def of(prefix: str) -> int:
                return sum(v for k, v in rows.items() if k == prefix or k.startswith(prefix + "_"))
            return {"reports": of("reports") + sum(v for k, v in rows.items() if "reports" in k
                                                   and k.startswith("sqlite_autoindex")),
                    "word index": of("report_fts"),
                    "exact index": of("report_text") + of("report_grams"),
                    "text": int(conn.execute(sa.text("SELECT sum(length(CAST(text AS BLOB))) "
                                                     "FROM reports")).scalar() or 0)}
        size = lambda t: int(conn.execute(sa.text(  # noqa: E731
            f"SELECT pg_total_relation_size('{t}')")).scalar() or 0)
        return {"reports": size("reports"), "word index": size("report_fts"),
                "exact index": size("report_text"),
                "text": int(conn.execute(sa.text("SELECT sum(octet_length(text)) FROM reports"))
                            .scalar() or 0)}


def exactness_queries(db: Database, k: int, seed: int = 11) -> list[str]:
    """*k* strings to look for: random 2-8 character pieces of stored texts (half of them
    starting inside a word, so crossing jieba's boundaries: 复议案 of 行政复议案件), a few
    two-character ones, and some that occur nowhere (the pieces reversed)."""
    rng = random.Random(seed)
    with db.session() as s:
        top = int(s.scalar(sa.select(sa.func.max(Report.id))) or 0)
        texts = [t for t in s.execute(sa.select(Report.text).where(
            Report.id.in_([rng.randint(1, top) for _ in range(50)]))).scalars() if t]
    out: list[str] = []
    while len(out) < k:
        text = rng.choice(texts)
        n = rng.choice([2, 2, 3, 3, 4, 5, 6, 8])
        i = rng.randrange(max(1, len(text) - n))
        piece = re.sub(r"\s+", "", text[i:i + n])
        if len(piece) < 2 or not re.search(r"\w", piece):
            continue
        piece = re.sub(r'["“”「」()（）\-]', "", piece)
        if len(piece) < 2:
            continue
        out.append(piece if rng.random() > 0.1 else piece[::-1])
    return list(dict.fromkeys(out))


def exactness(db: Database, tokenizer: Tokenizer, k: int) -> None:
    """Count each query string's reports by search and by reading every text; print agreement."""
    queries = exactness_queries(db, k)
    folded = [fold(q) for q in queries]
    start = time.perf_counter()
    truth = [0] * len(queries)
    with db.session() as s:
        result = s.execute(sa.select(Report.title, Report.text).execution_options(yield_per=2000))
        for title, text in result:
            ft, fx = fold(title or ""), fold(text or "")
            for j, q in enumerate(folded):
                if q in fx or q in ft:
                    truth[j] += 1
    scan_s = time.perf_counter() - start
    got, ms = [], []
    with db.session() as s:
        for q in queries:
            t0 = time.perf_counter()
            got.append(count_matches(s, f'"{q}"', tokenizer=tokenizer))
            ms.append((time.perf_counter() - t0) * 1000)
    same = sum(a == b for a, b in zip(got, truth))
    print(f"exactness: {same}/{len(queries)} query strings counted exactly as the substring scan "
          f"({100 * same / len(queries):.1f}%; {sum(1 for t in truth if t == 0)} occur nowhere)")
    for q, a, b in [(q, a, b) for q, a, b in zip(queries, got, truth) if a != b][:10]:
        print(f"   differs: {q!r}: search {a}, scan {b}")
    print(f"   count by the index: p50 {pct(ms, 50):7.1f} ms   p95 {pct(ms, 95):7.1f} ms;   "
          f"substring scan of every text (Python, all {len(queries)} strings in one pass): "
          f"{scan_s:6.1f} s")


def whole_scan(db: Database, words: list[str]) -> list[float]:
    """The substring scan of every report's text, in SQL (instr / strpos), one string at a time."""
    fn = "instr" if db.dialect == "sqlite" else "strpos"
    ms = []
    with db.session() as s:
        for word in words:
            start = time.perf_counter()
            s.execute(sa.select(sa.func.count()).where(getattr(sa.func, fn)(Report.text, word) > 0)).scalar()
            ms.append((time.perf_counter() - start) * 1000)
    return ms


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(name: str, db: Database, tokenizer: Tokenizer, repeat: int,
            rank_window: int | None = 0) -> None:
    """Time the query set on an indexed database and print the latency lines."""
    gen = Generator()
    with_filters = [(q, f) for q in QUERIES for f in filter_sets(gen)]
    filtered = time_queries(db, tokenizer, with_filters, repeat, rank_window)
    plain = time_queries(db, tokenizer, [(q, Filters()) for q in QUERIES], repeat, rank_window)
    anchor = substring_anchor(db, ["府院联动", "败诉"])
    whole = whole_scan(db, ["府院联动", "复议案"])
    target = 10 if name == "sqlite" else 20
    print(f"search with filters  ({len(filtered):4d})   p50 {pct(filtered, 50):7.1f} ms   "
          f"p95 {pct(filtered, 95):7.1f} ms   (target p95 < {target} ms)")
    print(f"search, no filter    ({len(plain):4d})   p50 {pct(plain, 50):7.1f} ms   "
          f"p95 {pct(plain, 95):7.1f} ms")
    print(f"anchor: the same without index (scan one year's texts)   {statistics.median(anchor):7.1f} ms")
    print(f"anchor: a substring scan of every text (one string)      {statistics.median(whole):7.1f} ms")
    # Each case's median over the rounds, slowest first.
    per_case = [statistics.median(filtered[i::len(with_filters)]) for i in range(len(with_filters))]
    for j, f in enumerate(filter_sets(gen)):
        mine = [ms for ms, (_, g) in zip(per_case, with_filters) if g == f]
        shown = {k: v for k, v in vars(f).items() if v is not None}
        print(f"   filters {shown}: median {statistics.median(mine):6.1f} ms, max {max(mine):6.1f} ms")
    for ms, (q, f) in sorted(zip(per_case, with_filters), key=lambda t: t[0], reverse=True)[:5]:
        print(f"   slowest: {ms:6.1f} ms  {q}  {f}")


def run_backend(name: str, n: int, tokenizer: Tokenizer, repeat: int, keep: bool,
                workers: int, exact_k: int = 300) -> None:
    path = None
    if name == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="govreports-bench-")) / "bench.db"
        url, schema = f"sqlite:///{path}", None
    else:
        schema = "bench_" + uuid.uuid4().hex[:10]
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    db = open_database(url)
    try:
        load_s, chars = load(db, n)
        index_s = index_all(db, tokenizer, workers)
        size = db_size(db, path)
        print(f"\n== {name}: {n:,} reports, {chars / 1e6:,.0f}M characters (mean {chars // n:,}); "
              f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"load (insert rows)            {load_s:8.1f} s   {chars / load_s / 1e6:5.2f}M chars/s")
        print(f"index (tokenize + write)      {index_s:8.1f} s   {chars / index_s / 1e6:5.2f}M chars/s"
              f"   (target >= 1M chars/s)")
        print(f"database size                 {size / 2**30:8.2f} GiB")
        sizes = index_sizes(db)
        print("sizes: " + ", ".join(f"{k} {v / 2**20:,.0f} MiB" for k, v in sizes.items())
              + f"   (exact index / text {sizes['exact index'] / max(1, sizes['text']):.2f})")
        measure(name, db, tokenizer, repeat)
        exactness(db, tokenizer, exact_k)
    finally:
        db.dispose()
        if not keep:
            if path is not None:
                for p in path.parent.glob("*"):
                    p.unlink()
                path.parent.rmdir()
            else:
                engine = sa.create_engine(PG_URL)
                with engine.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                engine.dispose()
        else:
            print(f"kept: {url}")


def measure_existing(url: str, tokenizer: Tokenizer, repeat: int, rank_window: int | None) -> None:
    """Time the query set on a database kept by an earlier run (--keep), without rebuilding it."""
    db = open_database(url)
    try:
        with db.session() as s:
            n = s.scalar(sa.select(sa.func.count()).select_from(Report)) or 0
            refresh_common_words(s)  # a database kept by an older version has none
        print(f"\n== {db.dialect}: {n:,} reports (kept database); "
              f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        measure(db.dialect, db, tokenizer, repeat, rank_window)
    finally:
        db.dispose()


def tokenizer_anchor(tokenizers: list[Tokenizer]) -> None:
    sample = "\n".join(Generator(seed=1).doc(i)["text"] for i in range(100))
    for tok in tokenizers:
        tok.load()
        start = time.perf_counter()
        tok.index_tokens(sample)
        secs = time.perf_counter() - start
        print(f"tokenize only, {tok.backend:7s}: {len(sample) / secs / 1e6:5.2f}M chars/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", "--reports", type=int, default=100_000,
                        help="documents (default 100000)")
    parser.add_argument("--exact", type=int, default=300,
                        help="query strings of the exactness check (default 300)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--tokenizer", default="auto", help="jieba | rjieba | auto (default)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the query set")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--db", action="append", default=[], metavar="URL",
                        help="only time the queries, on a database kept by --keep (repeatable)")
    parser.add_argument("--workers", type=int, default=1,
                        help="tokenizing processes beside the writer (0: tokenize inline)")
    parser.add_argument("--rank-window", type=int, default=0,
                        help="with --db: matches ranked per query (default 0: the backend's own)")
    args = parser.parse_args()
    tokenizer = make_tokenizer(args.tokenizer)
    others = [make_tokenizer(b) for b in ("jieba", "rjieba") if b != tokenizer.backend
              and (b != "rjieba" or make_tokenizer("auto").backend == "rjieba")]
    print(f"search_scale: n={args.n:,}, tokenizer={tokenizer.backend}, cores={os.cpu_count()}")
    if args.db:
        for url in args.db:
            measure_existing(url, tokenizer, args.repeat, args.rank_window)
        return
    tokenizer_anchor([tokenizer, *others])
    for name in args.backends.split(","):
        run_backend(name.strip(), args.n, tokenizer, args.repeat, args.keep, args.workers,
                    args.exact)


if __name__ == "__main__":
    main()
