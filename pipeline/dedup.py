"""Duplicate detection: the exact key, MinHash fingerprints, the LSH candidate index, merge decisions.

One report is published many times: on the county portal and the justice bureau's site, as a page
and a PDF, through a big5 gateway in traditional characters, on spam clones, edited after
publication. Two counties' reports from one template, or one county's 2023 and 2024 reports, share
most of their phrasing and are still different reports. So:

- exact: `content_sha256` of the normalised clean text (NFKC, no white space); identical text is
  one report whatever the keys say;
- near: MinHash (datasketch) over character shingles of the comparison text (letters and digits,
  variants folded to simplified), candidates from MinHash LSH, never all pairs, then the estimated
  Jaccard similarity of each candidate;
- a near match needs the two documents' keys (issuer, region, year, kind) to agree on what is
  known of them (`disagreement`), and more similarity when the keys do not confirm the match by a
  known place and year (`decide`): the template and year cases differ there, not in the text.

Everything here is pure: the index is an object the caller owns and passes in. The two memoised
tables (`_permutations`, `_parse_issuer`) are caches of pure functions, not state.
"""
from __future__ import annotations

import functools
import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from datasketch.minhash import _fmix  # the scheme's pre-mix; see _minhash_values

from pipeline.variants import fold_variants

__all__ = [
    "normalise_for_hash", "content_sha256", "comparison_text", "fingerprint",
    "signature_bytes", "signature_from_bytes", "DocKey", "Candidate", "NearDuplicateIndex",
    "MergeDecision", "disagreement", "decide", "find_match",
    "NUM_PERM", "SHINGLE", "LSH_THRESHOLD", "MERGE_THRESHOLD", "UNCONFIRMED_THRESHOLD", "AMBIGUITY_MARGIN",
    "MIN_COMPARABLE_CHARS",
]

_SPACE = re.compile(r"\s+")

# Parameters, tuned on the labelled set of tests/dedup_corpus.py (six generated sets of 2,100-2,400
# documents streamed through find_match; pairwise same-report precision / recall):
# - a copy's best link to an earlier document of its report scores >= 0.82, 1st percentile 0.875
#   (worst: a truncated copy against an edited one); simpler copies of the seeds score >= 0.95;
# - other reports whose keys confirm the match (same place and year) score <= 0.07;
# - other reports whose keys merely do not disagree score up to 0.91: template siblings that differ
#   only in place names and half the figures (real reports sharing boilerplate: <= 0.58).
# One threshold for all: 0.85 -> P 0.994-1.000, R 0.984-0.997; 0.80 -> P 0.987, R 0.983; 0.90 -> R
# 0.94. Two thresholds (0.80 confirmed, 0.88 not) and the ambiguity margin: P 0.999-1.000, R 0.992-0.999.
# Shingles of 3-8 characters and 64-256 permutations were tried: 5 and 128 are as good as any
# (3-grams and 64 permutations are worse); 2.0 ms of CPU for a 4,000-character report.
NUM_PERM = 128  # standard error of the Jaccard estimate ~ sqrt(J(1-J)/128): 0.03 at J=0.85
SHINGLE = 5  # characters per shingle
MERGE_THRESHOLD = 0.8  # estimated Jaccard from which a candidate whose key confirms is the same report
UNCONFIRMED_THRESHOLD = 0.88  # the same when place or year is unknown on a side (see decide)
AMBIGUITY_MARGIN = 0.03  # an unconfirmed match must beat other reports it could be by this much
LSH_THRESHOLD = 0.6  # 18 bands of 7 rows: a pair at J=0.8 is a candidate with p=0.986, at 0.85 p=0.999
# A comparison text shorter than this is too short for its MinHash to mean anything (two empty
# texts have Jaccard 1.0); such texts only get the exact key. Reports are >= 200 characters.
MIN_COMPARABLE_CHARS = 50
_SEED = 1
_SCHEME = "affine32"
# Signature byte format: magic, format version, shingle size, then datasketch's LeanMinHash
# serialisation in little-endian order (seed, -num_perm, scheme code, uint32 hash values).
_SIG_MAGIC = b"GRMH"
_SIG_VERSION = 1
_SIG_HEADER = struct.Struct("<4sBB")


def normalise_for_hash(text: str) -> str:
    """NFKC and no white space: the same text with other spacing or full/half-width forms is equal."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def content_sha256(text: str) -> str:
    """The exact-duplicate key of a clean text."""
    return hashlib.sha256(normalise_for_hash(text).encode("utf-8")).hexdigest()


_NOT_WORD = re.compile(r"[\W_]+")


def comparison_text(text: str) -> str:
    """What near-duplicate detection compares: the letters and digits of the text, with variants
    folded (NFKC, traditional -> simplified), so spacing, punctuation, PDF line breaks and the
    character set do not count. Punctuation goes first: NFKC on what remains is then nearly free
    (0.05 ms instead of 0.8 ms for a 4,000-character report); symbols that NFKC would spell out
    (㎡ -> m2) are dropped with the punctuation."""
    return _NOT_WORD.sub("", fold_variants(_NOT_WORD.sub("", text)))


# Odd 64-bit multipliers (from splitmix64) for the polynomial shingle hash and its final mix.
_POLY = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT32 = np.uint64(32)


def _shingle_hashes(text: str, k: int) -> np.ndarray:
    """Distinct 32-bit hashes of the k-character shingles of `text`, computed with numpy.

    A polynomial over code points mod 2**64, then the high half of a multiply: deterministic across
    processes (stored signatures depend on it) and vectorised; with it a fingerprint costs 1.7 ms of
    CPU against 4.8 ms with datasketch's default SHA-1 per shingle (bench/dedup_scale.py).
    """
    if not text:
        return np.empty(0, dtype=np.uint32)
    points = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    k = min(k, len(points))
    count = len(points) - k + 1
    h = np.zeros(count, dtype=np.uint64)
    for j in range(k):  # uint64 arrays wrap silently: this is arithmetic mod 2**64
        h = h * _POLY + points[j:j + count]
    return np.unique(((h * _MIX) >> _SHIFT32).astype(np.uint32))


@functools.cache
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's permutation parameters for (num_perm, seed); a constant, computed once."""
    return MinHash(num_perm=num_perm, seed=seed, scheme=_SCHEME).permutations


_CHUNK = 2048  # shingles per step: bounds the (shingles x num_perm) temporary to 1 MB


def _minhash_values(hashes: np.ndarray, num_perm: int) -> np.ndarray:
    """What datasketch's MinHash.update_batch computes for these 32-bit input hashes (scheme
    affine32: MurmurHash3 finaliser, then a*h+b mod 2**32, then the minimum per permutation),
    without its per-item Python call, which was half the fingerprint time. A test holds it equal
    to update_batch."""
    a, b = _permutations(num_perm, _SEED)
    values = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(hashes), _CHUNK):
        permuted = _fmix(hashes[start:start + _CHUNK].reshape(-1, 1), 32) * a
        permuted += b  # in place: a second temporary of this size costs 4x the arithmetic
        np.minimum(values, permuted.min(axis=0), out=values)
    return values


def fingerprint(text: str, *, num_perm: int = NUM_PERM, shingle: int = SHINGLE) -> LeanMinHash:
    """The MinHash of the comparison text's character shingles (a frozen, compact LeanMinHash)."""
    hashes = _shingle_hashes(comparison_text(text), shingle)
    return LeanMinHash(seed=_SEED, hashvalues=_minhash_values(hashes, num_perm), scheme=_SCHEME)


def signature_bytes(mh: MinHash, *, shingle: int = SHINGLE) -> bytes:
    """A fingerprint as bytes for storage (4 + 2 + 13 + 4 * num_perm bytes: 531 for 128)."""
    lean = mh if isinstance(mh, LeanMinHash) else LeanMinHash(mh)
    buf = bytearray(_SIG_HEADER.size + lean.bytesize("<"))
    _SIG_HEADER.pack_into(buf, 0, _SIG_MAGIC, _SIG_VERSION, shingle)
    lean.serialize(memoryview(buf)[_SIG_HEADER.size:], "<")
    return bytes(buf)


def signature_from_bytes(data: bytes, *, shingle: int = SHINGLE) -> LeanMinHash:
    """The fingerprint stored by `signature_bytes`. Raises ValueError for bytes of another format or
    shingle size: such signatures are not comparable and must be recomputed from the text."""
    if len(data) < _SIG_HEADER.size:
        raise ValueError("signature: too short")
    magic, version, stored_shingle = _SIG_HEADER.unpack_from(data, 0)
    if magic != _SIG_MAGIC or version != _SIG_VERSION:
        raise ValueError(f"signature: unknown format {magic!r} v{version}")
    if stored_shingle != shingle:
        raise ValueError(f"signature: made with {stored_shingle}-character shingles, not {shingle}")
    lean = LeanMinHash.deserialize(memoryview(data)[_SIG_HEADER.size:], "<")
    if lean.scheme != _SCHEME or lean.seed != _SEED:
        raise ValueError(f"signature: scheme {lean.scheme} seed {lean.seed} is not {_SCHEME} seed {_SEED}")
    return lean


@dataclass(frozen=True)
class DocKey:
    """What is known of a document (or report) for merge decisions; None means unknown."""

    doc_id: int | str
    issuer: str | None = None
    region_code: str | None = None
    report_year: int | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A document the LSH proposed for a signature."""

    key: DocKey
    jaccard: float  # the best estimated Jaccard similarity against the document's signatures


@dataclass(frozen=True)
class MergeDecision:
    """Whether two documents are one report, and why (kept as a merge's reason)."""

    same: bool
    method: str  # "exact" | "near" | "none"
    score: float | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"same": self.same, "method": self.method, "score": self.score, "reason": self.reason}


# --- what is known of two documents must agree -------------------------------------------------

_PARTY = re.compile(r"^(?:中国共产党|中共)")
# Administrative levels, longest first so that 自治县 wins over 县.
_LEVELS = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "街道",
           "省", "市", "州", "盟", "县", "旗", "区", "镇", "乡")
_LEVEL_OF = {"自治州": "州", "自治县": "县", "自治旗": "旗"}
# A place name never contains these: they start the agency (司法局, 人民政府, 区委, 办公室).
_PLACE = re.compile(r"(?P<name>[^\W\d_委局办厅府司处科所院部署会室站队政]{1,12}?)(?P<level>%s)"
                    % "|".join(_LEVELS))
_BARE_LEVEL = re.compile(r"^(?P<level>%s)" % "|".join(_LEVELS))
_PLACEHOLDER = re.compile(r"^[XxＸｘ×*＊某]+$")  # anonymised names: XX区司法局
# Ethnic groups in autonomous place names: 酉阳土家族苗族自治县 is 酉阳县 in short form.
_ETHNIC = tuple(sorted((
    "土家", "苗", "彝", "藏", "壮", "回", "侗", "瑶", "白", "哈尼", "傣", "黎", "傈僳", "佤", "畲",
    "拉祜", "水", "纳西", "羌", "土", "仡佬", "锡伯", "仫佬", "布依", "蒙古", "满", "朝鲜", "达斡尔",
    "鄂温克", "鄂伦春", "哈萨克", "柯尔克孜", "塔吉克", "维吾尔", "撒拉", "东乡", "保安", "裕固",
    "毛南", "独龙", "怒", "景颇", "普米", "阿昌", "门巴", "珞巴", "基诺", "德昂", "布朗", "俄罗斯",
    "乌孜别克", "塔塔尔", "京", "高山", "各",
), key=len, reverse=True))


@dataclass(frozen=True)
class _Issuer:
    places: tuple[str, ...]  # named places, broadest first, short form: ("重庆", "合川")
    level: str | None  # level of the most specific place, or of a bare 区/县 prefix
    agency: str  # 司法局, 政府, 政府办公室 ... ("" when only a place is given)


@functools.lru_cache(maxsize=4096)
def _parse_issuer(issuer: str) -> _Issuer:
    text = _PARTY.sub("", comparison_text(issuer))
    places: list[str] = []
    level = None
    pos = 0
    while m := _PLACE.match(text, pos):
        name, lvl = m["name"], m["level"]
        if lvl.startswith("自治"):
            stripped = True
            while stripped:
                stripped = False
                for group in _ETHNIC:
                    if name.endswith(group + "族") and len(name) > len(group) + 1:
                        name, stripped = name[: -len(group) - 1], True
                        break
        if not _PLACEHOLDER.match(name):
            places.append(name)
        level = _LEVEL_OF.get(lvl, lvl)
        pos = m.end()
    if pos == 0 and (bare := _BARE_LEVEL.match(text)):
        level = _LEVEL_OF.get(bare["level"], bare["level"])  # 区司法局: a district, name not given
        pos = bare.end()
    return _Issuer(tuple(places), level, text[pos:].replace("人民", ""))


def _issuers_disagree(a: str, b: str) -> bool:
    """Issuer forms are compatible when they can name the same body. The rule:
    - places: the most specific named places are equal (合川区司法局 ~ 重庆市合川区司法局;
      酉阳县 ~ 酉阳土家族苗族自治县), or one side names no place (区司法局) and its level, if any,
      is the other's (区 ~ 合川区, not 区 ~ 和平县);
    - agency: equal, one is empty, or one contains the other (政府 ~ 政府办公室; 司法局 !~ 政府).
    """
    pa, pb = _parse_issuer(a), _parse_issuer(b)
    if pa.places and pb.places:
        if pa.places[-1] != pb.places[-1]:
            return True
    elif pa.level and pb.level and pa.level != pb.level:
        return True
    if pa.agency and pb.agency and pa.agency not in pb.agency and pb.agency not in pa.agency:
        return True
    return False


def _region_stem(code: str) -> str:
    """A division code without its zero tail, so that an ancestor is a prefix: 500000 -> 50,
    500100 -> 5001, 500117 -> 500117; 12-digit statistical codes keep their town part
    (500117001000 -> 500117001, 500117000000 -> 500117)."""
    digits = re.sub(r"\D", "", code)
    town = re.sub(r"(000)+$", "", digits[6:12])
    return digits[:6] + town if town else re.sub(r"(00)+$", "", digits[:6])


# Kinds that are other documents even when they quote a report at length. The rest
# (annual_report, work_summary, news, other) depend on a title that copies may lack.
_SEPARATE_KINDS = frozenset({"interpretation", "work_plan"})


def disagreement(a: DocKey, b: DocKey) -> str | None:
    """Why two documents cannot be one report, from what is known of them; None when compatible.

    Unknown fields agree with anything. Years must be equal; region codes equal or one the other's
    ancestor (500100 ~ 500117: a less precise reading); issuers as in `_issuers_disagree`; kinds
    equal unless one is an interpretation or a work plan.
    """
    if a.report_year is not None and b.report_year is not None and a.report_year != b.report_year:
        return f"report year {a.report_year} != {b.report_year}"
    if a.region_code and b.region_code:
        sa, sb = _region_stem(a.region_code), _region_stem(b.region_code)
        if sa and sb and not (sa.startswith(sb) or sb.startswith(sa)):
            return f"region {a.region_code} != {b.region_code}"
    if a.issuer and b.issuer and _issuers_disagree(a.issuer, b.issuer):
        return f"issuer {a.issuer} != {b.issuer}"
    if a.kind and b.kind and a.kind != b.kind and {a.kind, b.kind} & _SEPARATE_KINDS:
        return f"kind {a.kind} != {b.kind}"
    return None


def _confirms(a: DocKey, b: DocKey) -> bool:
    """Whether what is known of both says they are the same county's report for the same year:
    equal years, and equal region codes or issuers naming the same place."""
    if a.report_year is None or b.report_year is None:
        return False
    if a.region_code and b.region_code:
        stem = _region_stem(a.region_code)
        if len(stem) >= 6 and stem == _region_stem(b.region_code):  # a county, not just its city
            return True
    if a.issuer and b.issuer:
        pa, pb = _parse_issuer(a.issuer), _parse_issuer(b.issuer)
        return bool(pa.places and pb.places and pa.places[-1] == pb.places[-1])
    return False


def decide(a: DocKey, b: DocKey, *, jaccard: float, threshold: float = MERGE_THRESHOLD,
           unconfirmed_threshold: float = UNCONFIRMED_THRESHOLD) -> MergeDecision:
    """Near-duplicate decision for two documents with estimated Jaccard similarity `jaccard`.

    Keys that disagree never merge. Keys that confirm each other (same year, same place) merge at
    `threshold`; keys that merely do not disagree (a place or the year unknown on one side) need
    `unconfirmed_threshold`: that is where a copy of another county's or year's report from the
    same template would slip through.
    """
    why = disagreement(a, b)
    if why:
        return MergeDecision(False, "none", jaccard, f"jaccard {jaccard:.3f} but {why}")
    bar, basis = (threshold, "same place and year") if _confirms(a, b) else (
        unconfirmed_threshold, "place or year unknown")
    if jaccard < bar:
        return MergeDecision(False, "none", jaccard, f"jaccard {jaccard:.3f} < {bar} ({basis})")
    return MergeDecision(True, "near", jaccard, f"jaccard {jaccard:.3f} >= {bar} ({basis})")


# --- the index ---------------------------------------------------------------------------------


def _more_specific(old: str | None, new: str | None, measure: Callable[[str], int] = len) -> str | None:
    if not old or not new:
        return old or new
    return new if measure(new) > measure(old) else old


def _combine(old: DocKey, new: DocKey) -> DocKey:
    """What is known of a report from two of its documents: the more specific of each field."""
    return replace(
        old,
        issuer=_more_specific(old.issuer, new.issuer),
        region_code=_more_specific(old.region_code, new.region_code, lambda c: len(_region_stem(c))),
        report_year=old.report_year if old.report_year is not None else new.report_year,
        kind=old.kind or new.kind,
    )


class NearDuplicateIndex:
    """In-memory MinHash LSH over documents' signatures, rebuilt from stored signatures at start.

    A doc_id (a report) may hold several signatures (its publications or versions); candidates are
    reported once per doc_id with the best score, and the key kept for a doc_id combines what all
    its documents said. An optional content hash per signature gives exact matches. Memory: about
    5 KB a signature, most of it the LSH's 18 buckets (100k signatures: 515 MB, bench/dedup_scale.py).
    """

    def __init__(self, *, num_perm: int = NUM_PERM, lsh_threshold: float = LSH_THRESHOLD) -> None:
        self.num_perm = num_perm
        self._lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
        # Signature values, one row per entry, grown by doubling: candidates are scored in one
        # vectorised comparison instead of one MinHash.jaccard call each.
        self._values = np.empty((1024, num_perm), dtype=np.uint32)
        self._entry_doc: list[int | str | None] = []
        self._doc_entries: dict[int | str, list[int]] = {}
        self._doc_key: dict[int | str, DocKey] = {}
        self._exact: dict[str, int | str] = {}
        self._doc_hashes: dict[int | str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._doc_key)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._doc_key

    def key(self, doc_id: int | str) -> DocKey:
        """What is known of a document, combined over all its signatures."""
        return self._doc_key[doc_id]

    def add(self, key: DocKey, mh: MinHash, *, content_hash: str | None = None) -> None:
        """Index one signature of document key.doc_id (several per doc_id are allowed)."""
        if len(mh) != self.num_perm:
            raise ValueError(f"signature has {len(mh)} permutations, the index {self.num_perm}")
        entry = len(self._entry_doc)
        if entry == len(self._values):
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
        self._values[entry] = mh.hashvalues
        self._lsh.insert(entry, mh, check_duplication=False)
        self._entry_doc.append(key.doc_id)
        self._doc_entries.setdefault(key.doc_id, []).append(entry)
        old = self._doc_key.get(key.doc_id)
        self._doc_key[key.doc_id] = key if old is None else _combine(old, key)
        if content_hash and content_hash not in self._exact:
            self._exact[content_hash] = key.doc_id
            self._doc_hashes.setdefault(key.doc_id, []).append(content_hash)

    def remove(self, doc_id: int | str) -> None:
        """Forget a document and all its signatures (a split, a deleted report)."""
        for entry in self._doc_entries.pop(doc_id, []):
            self._lsh.remove(entry)
            self._entry_doc[entry] = None
        self._doc_key.pop(doc_id, None)
        for digest in self._doc_hashes.pop(doc_id, []):
            del self._exact[digest]

    def exact(self, content_hash: str) -> DocKey | None:
        """The document with this content hash, if one was added with it."""
        doc_id = self._exact.get(content_hash)
        return None if doc_id is None else self._doc_key[doc_id]

    def candidates(self, mh: MinHash) -> list[Candidate]:
        """Documents whose signatures collide with mh in the LSH, best estimated Jaccard first."""
        entries = self._lsh.query(mh)
        if not entries:
            return []
        rows = np.fromiter(entries, dtype=np.int64, count=len(entries))
        equal = np.count_nonzero(self._values[rows] == np.asarray(mh.hashvalues, dtype=np.uint32), axis=1)
        best: dict[int | str, int] = {}
        for entry, hits in zip(entries, equal.tolist()):
            doc_id = self._entry_doc[entry]
            if doc_id is not None and hits > best.get(doc_id, -1):
                best[doc_id] = hits
        ranked = sorted(best.items(), key=lambda item: (-item[1], str(item[0])))
        return [Candidate(self._doc_key[doc_id], hits / self.num_perm) for doc_id, hits in ranked]


def find_match(
    text: str,
    key: DocKey,
    index: NearDuplicateIndex,
    *,
    signature: MinHash | None = None,
    content_hash: str | None = None,
    threshold: float = MERGE_THRESHOLD,
    unconfirmed_threshold: float = UNCONFIRMED_THRESHOLD,
    margin: float = AMBIGUITY_MARGIN,
    shingle: int = SHINGLE,
) -> tuple[MergeDecision, DocKey | None]:
    """The report in `index` that `text` (a document described by `key`) belongs to, if any.

    An equal content hash is the same report whatever the keys say (identical text is one document;
    the keys then differ only by how each page was read). Otherwise the best-scoring candidate that
    `decide` accepts; if the keys do not confirm it, no other report the document could equally be
    may score within `margin` of it (else "ambiguous", no merge). The reason names a better
    candidate that was rejected, if any. Pass `signature` and `content_hash` when the caller
    already has fingerprint(text) and content_sha256(text). The index is not changed: the caller
    adds the document (under the matched doc_id, or its own) once it has stored it.
    """
    exact = index.exact(content_hash or content_sha256(text))
    if exact is not None:
        why = disagreement(key, exact)
        reason = "same content hash" + (f" (keys differ: {why})" if why else "")
        return MergeDecision(True, "exact", 1.0, reason), exact
    if len(_NOT_WORD.sub("", text)) < MIN_COMPARABLE_CHARS:
        return MergeDecision(False, "none", None, f"under {MIN_COMPARABLE_CHARS} characters to compare"), None
    mh = signature if signature is not None else fingerprint(text, num_perm=index.num_perm, shingle=shingle)
    candidates = index.candidates(mh)
    rejected: str | None = None
    for rank, cand in enumerate(candidates):
        decision = decide(key, cand.key, jaccard=cand.jaccard, threshold=threshold,
                          unconfirmed_threshold=unconfirmed_threshold)
        if decision.same:
            rival = None if _confirms(key, cand.key) else _rival(key, cand, candidates[rank + 1:], margin)
            if rival is not None:
                return MergeDecision(False, "none", cand.jaccard, (
                    f"ambiguous: {cand.key.doc_id} at {cand.jaccard:.3f} and {rival.key.doc_id} at "
                    f"{rival.jaccard:.3f} are different reports and the keys cannot tell")), None
            if rejected is not None:
                decision = replace(decision, reason=f"{decision.reason}; better candidate {rejected}")
            return decision, cand.key
        if cand.jaccard < min(threshold, unconfirmed_threshold):
            break  # ranked: the rest score lower still
        if rejected is None:
            rejected = f"{cand.key.doc_id}: {decision.reason}"
    if rejected is not None:
        return MergeDecision(False, "none", candidates[0].jaccard, f"rejected {rejected}"), None
    return MergeDecision(False, "none", None, "no candidate at or above the threshold"), None


def _rival(key: DocKey, chosen: Candidate, others: list[Candidate], margin: float) -> Candidate | None:
    """Another report, nearly as similar as `chosen`, that `key` agrees with as well but that cannot
    be the same report as `chosen` (another county's or year's report from the same template)."""
    for other in others:
        if other.jaccard < chosen.jaccard - margin:
            return None
        if disagreement(key, other.key) is None and disagreement(chosen.key, other.key) is not None:
            return other
    return None
