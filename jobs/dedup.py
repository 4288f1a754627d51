"""Near-duplicate detection in the jobs: the parse job's index, and the re-deduplication job.

Data flows one way: these read stored signatures (storage/signatures.py), ask pipeline.dedup for
decisions, and have storage write the outcome (store_document's `match`, storage/merges.py).

- `ParseDedup`: one per parse job. Loads every stored signature into a NearDuplicateIndex (keyed by
  report id) on first need; for each parsed document at a URL not yet known it proposes the report
  the document belongs to, and learns every document stored.
- `run_dedup`: re-checks the whole collection (after a change of thresholds or of the parser). It
  visits publications in the fixed order (first_seen, id), signatures only, a batch per
  transaction, and merges a publication's report into the earlier report it matches. Progress (the
  last publication visited, the counters) is committed with each batch in `job_state` row "dedup":
  an interrupted run resumes there (its index rebuilt from the signatures of the publications
  before the cursor); a finished one, or `restart=True`, starts over. It takes the parse lock, so
  no parse job's index goes stale while it merges. Splits (storage/merges.kept_apart) are never
  undone, and it never splits anything itself: a publication that no longer matches its report
  is left where it is.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from jobs.config import Settings
from jobs.locks import PARSE_LOCK, LockBusy, Locks, make_locks
from pipeline.dedup import (
    MERGE_THRESHOLD, MIN_COMPARABLE_CHARS, UNCONFIRMED_THRESHOLD, DocKey, NearDuplicateIndex,
    comparison_text, content_sha256, disagreement, find_match, fingerprint, signature_bytes,
    signature_from_bytes,
)
from pipeline.records import ParsedDocument
from storage.db import Database
from storage.models import JobState, Publication, utcnow
from storage.signatures import PublicationRow, SignatureRow, iter_publications, iter_signatures, signatures_by_id

__all__ = ["Prepared", "ParseDedup", "load_index", "DedupSummary", "run_dedup", "DEDUP_STATE",
           "merge_reason"]

log = logging.getLogger("govreports.dedup")

DEDUP_STATE = "dedup"  # the job_state row of the re-deduplication job
# find_match reads the text only to see that it is long enough to compare; a stored signature was
# made from a text that was (signatures are kept only for such texts), so the job, which never
# reads texts, passes this stand-in.
_COMPARABLE = "x" * MIN_COMPARABLE_CHARS


def _key(doc_id: int, issuer: str | None, region_code: str | None, report_year: int | None,
         kind: str | None) -> DocKey:
    return DocKey(doc_id, issuer or None, region_code or None, report_year, kind or None)


def _sig_key(row: SignatureRow, doc_id: int) -> DocKey:
    return _key(doc_id, row.issuer, row.region_code, row.report_year, row.kind)


def merge_reason(decision: Any, **extra: Any) -> dict[str, Any]:
    """What a publication's merge_reason says of a near-duplicate decision."""
    return {"method": decision.method, "score": decision.score, "reason": decision.reason, **extra}


def load_index(session: Session, *, batch_size: int = 2000) -> NearDuplicateIndex:
    """Every stored signature, read in batches, indexed under its report's id."""
    index = NearDuplicateIndex()
    skipped = 0
    for row in iter_signatures(session, batch_size=batch_size):
        try:
            mh = signature_from_bytes(row.data)
        except ValueError:  # another format: recomputed when the capture is parsed again
            skipped += 1
            continue
        index.add(_sig_key(row, row.report_id), mh, content_hash=row.content_sha256)
    if skipped:
        log.warning("dedup: %d stored signatures of another format ignored (reparse to renew)", skipped)
    return index


# ------------------------------------------------------------------------------ the parse job

@dataclass(frozen=True)
class Prepared:
    """A parsed document's signature, computed once: what is stored and what is compared."""

    data: bytes
    mh: Any
    content_hash: str


class ParseDedup:
    """The parse job's near-duplicate index: built once per job, on the first document that needs it."""

    def __init__(self, *, threshold: float = MERGE_THRESHOLD,
                 unconfirmed_threshold: float = UNCONFIRMED_THRESHOLD) -> None:
        self.threshold = threshold
        self.unconfirmed_threshold = unconfirmed_threshold
        self._index: NearDuplicateIndex | None = None

    def index(self, session: Session) -> NearDuplicateIndex:
        """The index, loaded in the caller's session (on SQLite a second one would wait for the
        write lock that session holds)."""
        if self._index is None:
            self._index = load_index(session)
            log.info("dedup: %d reports' signatures loaded", len(self._index))
        return self._index

    @staticmethod
    def prepare(doc: ParsedDocument) -> Prepared | None:
        """The document's signature, or None for a text too short to compare."""
        if len(comparison_text(doc.text)) < MIN_COMPARABLE_CHARS:
            return None
        mh = fingerprint(doc.text)
        return Prepared(signature_bytes(mh), mh, content_sha256(doc.text))

    def match(self, session: Session, doc: ParsedDocument, prepared: Prepared | None,
              canonical_url: str) -> tuple[int, dict[str, Any]] | None:
        """(report id, merge reason) for store_document's `match`, when the document is at a new
        URL and is a copy of a stored report; None otherwise (a known URL is a new version of its
        own publication, never a merge)."""
        if prepared is None or session.scalar(sa.select(Publication.id).where(
                Publication.canonical_url == canonical_url)) is not None:
            return None
        decision, found = find_match(doc.text, _key(0, doc.issuer, doc.region_code, doc.report_year,
                                                    doc.kind), self.index(session),
                                     signature=prepared.mh, content_hash=prepared.content_hash,
                                     threshold=self.threshold,
                                     unconfirmed_threshold=self.unconfirmed_threshold)
        if not decision.same or found is None:
            return None
        extra = {"content_sha256": prepared.content_hash} if decision.method == "exact" else {}
        return int(found.doc_id), merge_reason(decision, **extra)

    def stored(self, outcome: Any, doc: ParsedDocument, prepared: Prepared | None) -> None:
        """Learn a document just stored (a StoreOutcome); an unchanged one is known already."""
        if prepared is not None and self._index is not None and outcome.action != "unchanged":
            self._index.add(_key(outcome.report_id, doc.issuer, doc.region_code, doc.report_year, doc.kind),
                            prepared.mh, content_hash=prepared.content_hash)


# ------------------------------------------------------------------------ re-deduplication job

@dataclass
class DedupSummary:
    visited: int = 0  # publications visited by this run (a resumed run: since it resumed)
    without_signature: int = 0  # no (readable) signature stored: reparse to get one
    merged: list[dict[str, Any]] = field(default_factory=list)  # {into, from, publication, ...}
    kept_apart: int = 0  # matches not merged because a publication was split off by hand
    keys_disagree: int = 0  # a publication matched, but the two reports' keys disagree
    batches: int = 0
    resumed_after: int | None = None  # the publication id an interrupted run had reached
    done: bool = False  # the whole collection was visited

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cursor(value: Any) -> tuple[dt.datetime, int] | None:
    if not value:
        return None
    when = dt.datetime.fromisoformat(value[0])
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc), int(value[1]))


class _Deduplicator:
    def __init__(self, db: Database, settings: Settings, tokenizer: Any, params: dict[str, float],
                 summary: DedupSummary) -> None:
        self.db = db
        self.settings = settings
        self._tokenizer = tokenizer
        self.params = params
        self.summary = summary
        self.index = NearDuplicateIndex()
        self.entries: dict[int, list[int]] = {}  # report id -> ids of its indexed signatures
        self.first: dict[int, tuple[dt.datetime, int]] = {}  # report id -> its first visited publication
        self.moved: dict[int, int] = {}  # merged report -> the report it went into
        self.apart: dict[int, frozenset[int]] = {}

    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from pipeline.tokens import make_tokenizer
            self._tokenizer = make_tokenizer(self.settings.search.tokenizer)
        return self._tokenizer

    def _current(self, report_id: int) -> int:
        while report_id in self.moved:
            report_id = self.moved[report_id]
        return report_id

    def _learn(self, report_id: int, row: PublicationRow, mh: Any) -> None:
        sig = row.signature
        assert sig is not None
        self.index.add(_sig_key(sig, report_id), mh, content_hash=sig.content_sha256)
        self.entries.setdefault(report_id, []).append(sig.id)
        self.first.setdefault(report_id, (row.first_seen, row.id))

    def rebuild(self, session: Session, until: tuple[dt.datetime, int], batch_size: int) -> None:
        """The index as it was at the cursor: the publications before it, under their reports now."""
        after = None
        while rows := iter_publications(session, after=after, until=until, limit=batch_size):
            for row in rows:
                mh = self._signature(row)
                if mh is not None:
                    self._learn(row.report_id, row, mh)
            after = (rows[-1].first_seen, rows[-1].id)

    @staticmethod
    def _signature(row: PublicationRow) -> Any:
        if row.signature is None:
            return None
        try:
            return signature_from_bytes(row.signature.data)
        except ValueError:
            return None

    def visit(self, session: Session, row: PublicationRow) -> None:
        self.summary.visited += 1
        mh = self._signature(row)
        if mh is None:
            self.summary.without_signature += 1
            return
        sig = row.signature
        assert sig is not None
        report_id = self._current(row.report_id)
        decision, found = find_match(_COMPARABLE, _sig_key(sig, report_id), self.index, signature=mh,
                                     content_hash=sig.content_sha256, **self.params)
        if decision.same and found is not None and found.doc_id != report_id:
            report_id = self._merge(session, report_id, int(found.doc_id), row, decision)
        self._learn(report_id, row, mh)

    def _merge(self, session: Session, report_id: int, target: int, row: PublicationRow,
               decision: Any) -> int:
        """Merge the publication's report and the one it matched, unless their keys disagree or a
        split keeps them apart; returns the publication's report afterwards."""
        from storage.merges import merge_reports
        if report_id in self.index and disagreement(self.index.key(report_id), self.index.key(target)):
            self.summary.keys_disagree += 1
            return report_id
        if self._kept_apart(session, report_id, target):
            self.summary.kept_apart += 1
            return report_id
        # The report seen first in the fixed order survives, so the outcome does not depend on ids.
        pos = self.first.get(report_id, (row.first_seen, row.id))
        into, gone = (target, report_id) if self.first[target] <= pos else (report_id, target)
        merge_reports(session, into, gone, tokenizer=self.tokenizer(), reason=merge_reason(
            decision, job="dedup", via_publication=row.id))
        self.summary.merged.append({"into": into, "from": gone, "publication": row.id,
                                    "method": decision.method, "score": decision.score})
        log.info("dedup: report %d merged into %d (publication %d: %s)", gone, into, row.id,
                 decision.reason)
        self.moved[gone] = into
        self.index.remove(gone)
        for sig_row in signatures_by_id(session, self.entries.pop(gone, [])):
            self.index.add(_sig_key(sig_row, into), signature_from_bytes(sig_row.data),
                           content_hash=sig_row.content_sha256)
            self.entries.setdefault(into, []).append(sig_row.id)
        first = self.first.pop(gone, None)
        if first is not None:
            self.first[into] = min(self.first.get(into, first), first)
        return into

    def _kept_apart(self, session: Session, a: int, b: int) -> bool:
        if not self.apart:
            return False
        pubs = {rid: set(session.scalars(sa.select(Publication.id).where(Publication.report_id == rid)))
                for rid in (a, b)}
        return any(self.apart[p] & pubs[other]
                   for mine, other in ((a, b), (b, a)) for p in pubs[mine] if p in self.apart)


def run_dedup(settings: Settings, db: Database, *, batch_size: int = 500, restart: bool = False,
              max_batches: int | None = None, stop: threading.Event | None = None,
              tokenizer: Any = None, locks: Locks | None = None,
              threshold: float = MERGE_THRESHOLD,
              unconfirmed_threshold: float = UNCONFIRMED_THRESHOLD) -> DedupSummary:
    """Re-check the collection for reports that are one (see the module docstring). Stops after
    *max_batches* batches or when *stop* is set, resumable; returns what it changed."""
    from storage.merges import kept_apart

    params = {"threshold": threshold, "unconfirmed_threshold": unconfirmed_threshold}
    summary = DedupSummary()
    own = locks is None
    locks = locks or make_locks(db, settings)
    try:
        try:
            held = locks.acquire(PARSE_LOCK, label="dedup", wait=True, stop=stop)
        except LockBusy:
            return summary
        with held:
            job = _Deduplicator(db, settings, tokenizer, params, summary)
            with db.session() as s:
                state = _read_state(s)
                cursor = None
                if not restart and state.get("status") == "running" and state.get("params") == params:
                    cursor = _cursor(state.get("cursor"))
                if cursor is None:
                    state = {"status": "running", "params": params, "started_at": utcnow().isoformat(),
                             "cursor": None, "merged": 0}
                    _write_state(s, state)
                else:
                    summary.resumed_after = cursor[1]
                    job.rebuild(s, cursor, max(batch_size, 1000))
                job.apart = kept_apart(s)
            while max_batches is None or summary.batches < max_batches:
                if stop is not None and stop.is_set():
                    break
                with db.session() as s:
                    rows = iter_publications(s, after=cursor, limit=batch_size)
                    if not rows:
                        state.update(status="done", finished_at=utcnow().isoformat())
                        _write_state(s, state)
                        summary.done = True
                        break
                    before = len(summary.merged)
                    for row in rows:
                        job.visit(s, row)
                    cursor = (rows[-1].first_seen, rows[-1].id)
                    state.update(cursor=[cursor[0].isoformat(), cursor[1]],
                                 merged=state.get("merged", 0) + len(summary.merged) - before)
                    _write_state(s, state)
                summary.batches += 1
            return summary
    finally:
        if own:
            locks.close()


def _read_state(session: Session) -> dict[str, Any]:
    row = session.get(JobState, DEDUP_STATE)
    return dict(row.state or {}) if row is not None else {}


def _write_state(session: Session, state: dict[str, Any]) -> None:
    row = session.get(JobState, DEDUP_STATE)
    if row is None:
        session.add(JobState(name=DEDUP_STATE, state=dict(state), updated_at=utcnow()))
    else:
        row.state = dict(state)
        row.updated_at = utcnow()
    session.flush()
