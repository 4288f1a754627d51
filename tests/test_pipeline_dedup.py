"""Duplicate detection: variant folding, fingerprints, the merge rule, and the labelled set."""
from __future__ import annotations

import collections
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from opencc import OpenCC

from dedup_corpus import LabelledDoc, labelled_corpus
from pipeline.dedup import (
    MERGE_THRESHOLD, UNCONFIRMED_THRESHOLD, DocKey, NearDuplicateIndex, comparison_text,
    content_sha256, decide, disagreement, find_match, fingerprint, normalise_for_hash,
    signature_bytes, signature_from_bytes,
)
from pipeline.variants import fold_variants

SEEDS = Path(__file__).resolve().parent / "data" / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def body(prefix: str, head: int = 0, tail: int = 0) -> str:
    """A seed without its first `head` and last `tail` non-empty lines (title, signature)."""
    lines = [line for line in seed(prefix).splitlines() if line.strip()]
    return "\n".join(lines[head: len(lines) - tail])


# Keys as the field extractor reads them from the seeds' titles, headers and signatures.
HECHUAN = DocKey("hechuan", "重庆市合川区司法局", "500117", 2024, "annual_report")
YOUYANG_GOV_2023 = DocKey("youyang-gov", "酉阳土家族苗族自治县人民政府", "500242", 2023, "annual_report")
YOUYANG_SFJ_2024 = DocKey("youyang-sfj", "酉阳土家族苗族自治县司法局", "500242", 2024, "annual_report")
HEPING = DocKey("heping", "和平县司法局", "441624", 2024, "annual_report")


def match(first: tuple[DocKey, str], second: tuple[DocKey, str]):
    """find_match for `second` against an index holding `first`, and the Jaccard estimate."""
    index = NearDuplicateIndex()
    index.add(first[0], fingerprint(first[1]), content_hash=content_sha256(first[1]))
    decision, matched = find_match(second[1], second[0], index)
    return decision, matched, fingerprint(first[1]).jaccard(fingerprint(second[1]))


# --- variants ------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant, simplified", [
    ("關於2023年法治政府建設情況的報告", "关于2023年法治政府建设情况的报告"),  # s2t, big5 gateway
    ("酉陽土家族苗族自治縣司法局", "酉阳土家族苗族自治县司法局"),
    ("堅持以習近平新時代中國特色社會主義思想為指導", "坚持以习近平新时代中国特色社会主义思想为指导"),  # 為 (tw) and 爲
    ("緊緊圍繞著", "紧紧围绕着"),  # Taiwan writes 著 for 着
    ("深化改革开放，啟動", "深化改革开放,启动"),  # NFKC full-width comma; 啟 (tw/hk) for 启
    ("２０２４年　办理案件１２８件", "2024年 办理案件128件"),  # full-width digits and space from Word
])
def test_fold_variants_gives_simplified(variant: str, simplified: str) -> None:
    assert fold_variants(variant) == fold_variants(simplified)
    assert fold_variants(fold_variants(variant)) == fold_variants(variant)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
@pytest.mark.parametrize("conversion", ["s2t", "s2tw", "s2hk"])
def test_traditional_copy_of_a_seed_folds_to_the_same_comparison_text(prefix: str, conversion: str) -> None:
    text = seed(prefix)
    assert OpenCC(conversion).convert(text) != text
    assert comparison_text(OpenCC(conversion).convert(text)) == comparison_text(text)


def test_exact_key_is_unchanged_and_does_not_fold_variants() -> None:
    text = body("003")
    assert content_sha256("  " + text.replace("\n", "\n\n")) == content_sha256(text)
    assert normalise_for_hash("２０２４ 年") == "2024年"
    assert content_sha256(OpenCC("s2t").convert(text)) != content_sha256(text)  # near-dup's job


# --- fingerprints and signatures ---------------------------------------------------------------

def test_fingerprint_is_datasketch_minhash_of_the_shingles() -> None:
    from pipeline.dedup import _permutations, _shingle_hashes
    for prefix in ("000", "004"):
        text = comparison_text(seed(prefix))
        hashes = _shingle_hashes(text, 5)
        assert len(hashes) > 2000 and len(hashes) <= len(text) - 4
        reference = MinHash(num_perm=128, seed=1, hashfunc=int, permutations=_permutations(128, 1),
                            scheme="affine32")
        reference.update_batch(hashes.tolist())
        assert np.array_equal(fingerprint(seed(prefix)).hashvalues, reference.hashvalues)


def test_signature_bytes_round_trip_and_refuse_other_recipes() -> None:
    mh = fingerprint(seed("001"))
    data = signature_bytes(mh)
    assert len(data) == 531
    assert signature_from_bytes(data).jaccard(mh) == 1.0
    with pytest.raises(ValueError, match="6-character shingles"):
        signature_from_bytes(signature_bytes(mh, shingle=6))
    with pytest.raises(ValueError, match="unknown format"):
        signature_from_bytes(b"XXXX" + data[4:])
    with pytest.raises(ValueError, match="too short"):
        signature_from_bytes(b"GR")


def test_index_rebuilt_from_stored_signatures_finds_the_same_candidates() -> None:
    texts = {prefix: seed(prefix) for prefix in ("000", "001", "002", "003", "004")}
    stored = {prefix: signature_bytes(fingerprint(text)) for prefix, text in texts.items()}
    index = NearDuplicateIndex()
    for prefix, data in stored.items():
        index.add(DocKey(prefix), signature_from_bytes(data))
    found = index.candidates(fingerprint(texts["003"] + "\n分享文章到\n网站标识码:4416240001"))
    assert [c.key.doc_id for c in found][:1] == ["003"] and found[0].jaccard > 0.95


# --- what is known must agree ------------------------------------------------------------------

@pytest.mark.parametrize("a, b, compatible", [
    # issuer forms of one body
    ("重庆市合川区司法局", "合川区司法局", True),
    ("合川区司法局", "区司法局", True),  # 来源:区司法局 in a page header
    ("酉阳土家族苗族自治县司法局", "酉阳县司法局", True),
    ("河源市和平县司法局", "和平县司法局", True),
    ("天津市静海区人民政府办公室", "静海区人民政府", True),  # the office issues the government's report
    ("重庆市合川区人民政府", "合川区政府", True),
    ("酉陽縣司法局", "酉阳县司法局", True),  # traditional
    # other bodies
    ("重庆市合川区司法局", "重庆市江北区司法局", False),  # same template, other district
    ("区司法局", "和平县司法局", False),  # a district is not a county
    ("重庆市司法局", "重庆市合川区司法局", False),  # the city's bureau is not the district's
    ("合川区司法局", "合川区人民政府", False),  # the bureau's own report is another report
    ("和县司法局", "和平县司法局", False),
])
def test_issuer_forms(a: str, b: str, compatible: bool) -> None:
    reason = disagreement(DocKey(1, issuer=a), DocKey(2, issuer=b))
    assert (reason is None) is compatible, reason


@pytest.mark.parametrize("a, b, compatible", [
    (DocKey(1, region_code="500117"), DocKey(2, region_code="500117"), True),
    (DocKey(1, region_code="500100"), DocKey(2, region_code="500117"), True),  # only the city known
    (DocKey(1, region_code="500117000000"), DocKey(2, region_code="500117"), True),  # 12-digit code
    (DocKey(1, region_code="500117"), DocKey(2, region_code="500105"), False),
    (DocKey(1, report_year=2023), DocKey(2, report_year=2024), False),
    (DocKey(1, report_year=2023), DocKey(2), True),
    (DocKey(1, kind="annual_report"), DocKey(2, kind="work_summary"), True),  # titles differ
    (DocKey(1, kind="annual_report"), DocKey(2, kind="interpretation"), False),
])
def test_region_year_and_kind(a: DocKey, b: DocKey, compatible: bool) -> None:
    assert (disagreement(a, b) is None) is compatible


def test_decide_needs_more_text_evidence_when_keys_do_not_confirm() -> None:
    known = DocKey(2, "合川区司法局", "500117", 2024)
    between = (MERGE_THRESHOLD + UNCONFIRMED_THRESHOLD) / 2
    assert decide(HECHUAN, known, jaccard=between).same
    assert not decide(HECHUAN, DocKey(3, report_year=2024), jaccard=between).same
    assert decide(HECHUAN, DocKey(3, report_year=2024), jaccard=UNCONFIRMED_THRESHOLD).same
    assert not decide(HECHUAN, replace(known, report_year=2023), jaccard=1.0).same
    assert decide(HECHUAN, known, jaccard=MERGE_THRESHOLD - 0.01).method == "none"


# --- the cases of one report and of different reports, on the seeds ---------------------------

def test_same_report_on_two_sites_with_different_chrome_is_one() -> None:
    portal = seed("001")  # with the district portal's header and footer
    bureau = "\n".join(["当前位置：首页 > 政务公开 > 法治政府建设",
                        "发布时间：2025-01-24  来源：重庆市合川区司法局  【打印】【关闭】",
                        body("001", head=1, tail=9), "扫一扫在手机打开当前页", "网站标识码:5001170011"])
    decision, matched, _ = match((HECHUAN, portal), (replace(HECHUAN, doc_id="bureau", issuer="区司法局"), bureau))
    assert decision.same and decision.method == "near" and matched.doc_id == "hechuan", decision


def test_html_and_pdf_text_of_one_report_are_one() -> None:
    page = body("000", head=2)
    flat = page.replace("\n", "")
    lines = [flat[i:i + 34] for i in range(0, len(flat), 34)]
    pdf = "\n".join(line + (f"\n- {n // 30 + 1} -\n酉阳县司法局" if n % 30 == 29 else "")
                    for n, line in enumerate(lines))
    decision, _, score = match((YOUYANG_SFJ_2024, page), (replace(YOUYANG_SFJ_2024, doc_id="pdf"), pdf))
    assert decision.same and score > 0.9, decision


EDITS_003 = [
    ("完成了我县27个县直单位", "完成了我县29个县直单位"),  # a figure
    ("坚持以整改促提升。", "坚持以整改促提升,推动考评结果运用。"),  # a clause added
    ("办案人员对平台的重视程度不够,未能及时更新案件信息;", ""),  # a sentence dropped
]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_edit_of_one_to_three_sentences_is_the_same_report(count: int) -> None:
    original = body("003", head=2, tail=2)
    edited = original
    for old, new in EDITS_003[:count]:
        assert edited.count(old) == 1
        edited = edited.replace(old, new)
    decision, _, _ = match((HEPING, original), (replace(HEPING, doc_id="edited"), edited))
    assert decision.same and decision.method == "near", decision  # not "exact": the texts differ


def test_one_countys_2023_and_2024_reports_are_two() -> None:
    """Built from one text so that the wording is as close as can be: only the year tells."""
    report_2023 = body("002", head=2, tail=2)
    report_2024 = report_2023.replace("2023", "2024").replace("2022", "2023")
    report_2024 = report_2024.replace("128件", "131件").replace("27件", "35件")
    key_2024 = replace(YOUYANG_GOV_2023, doc_id="2024", report_year=2024)
    decision, matched, score = match((YOUYANG_GOV_2023, report_2023), (key_2024, report_2024))
    assert score >= UNCONFIRMED_THRESHOLD  # the text alone would merge them
    assert not decision.same and matched is None and "report year" in decision.reason


def test_two_counties_reports_from_one_template_are_two() -> None:
    hechuan = body("001", head=1, tail=9)
    jiangbei = hechuan.replace("合川", "江北").replace("6226项", "5120项").replace("1568件", "1320件")
    key = DocKey("jiangbei", "重庆市江北区司法局", "500105", 2024, "annual_report")
    decision, _, score = match((HECHUAN, hechuan), (key, jiangbei))
    assert score >= UNCONFIRMED_THRESHOLD
    assert not decision.same and "region" in decision.reason
    # the same when the copy only says 区司法局 in its header: the region still tells
    decision, _, _ = match((HECHUAN, hechuan), (replace(key, issuer="区司法局"), jiangbei))
    assert not decision.same


@pytest.mark.parametrize("conversion", ["s2t", "s2tw", "s2hk"])
def test_simplified_and_traditional_copies_are_one(conversion: str) -> None:
    text = body("000", head=2)
    traditional = OpenCC(conversion).convert(text)
    key = DocKey("big5", OpenCC(conversion).convert("酉阳县司法局"), None, 2024, "annual_report")
    decision, _, score = match((YOUYANG_SFJ_2024, text), (key, traditional))
    assert decision.same and score == 1.0, decision


def test_spam_clone_without_place_is_one_report() -> None:
    text = body("003", head=2, tail=2)
    clone = "\n".join(["本文来源于网络，版权归原作者所有，如有侵权请联系删除。", text,
                       "更多精品范文请访问第一范文网，海量文档免费下载。", "##paidend##"])
    decision, matched, _ = match((HEPING, text), (DocKey("clone", None, None, 2024, None), clone))
    assert decision.same and matched.doc_id == "heping", decision


def test_identical_text_is_one_report_whatever_the_keys_say() -> None:
    text = body("004", head=1, tail=1)
    decision, _, _ = match((DocKey("a", "XX区司法局", None, 2023), text),
                           (DocKey("b", "临江市XX区司法局", None, 2024), "\n" + text + "\n"))
    assert decision.same and decision.method == "exact" and "report year" in decision.reason


def test_different_reports_are_not_candidates() -> None:
    decision, _, score = match((HECHUAN, seed("001")), (replace(HECHUAN, doc_id="other"), seed("004")))
    assert not decision.same and score < 0.1


def test_short_texts_are_never_near_duplicates() -> None:
    index = NearDuplicateIndex()
    index.add(DocKey("a"), fingerprint(""))
    decision, matched = find_match("（无正文）", DocKey("b"), index)
    assert not decision.same and matched is None


def test_index_keeps_what_all_signatures_of_a_report_say_and_forgets_on_remove() -> None:
    index = NearDuplicateIndex()
    text = body("003", head=2, tail=2)
    index.add(DocKey("r", None, None, 2024), fingerprint(text))
    index.add(DocKey("r", "和平县司法局", "441624", None), fingerprint(text + "\n分享文章到"))
    assert index.key("r") == DocKey("r", "和平县司法局", "441624", 2024)
    assert [c.key.doc_id for c in index.candidates(fingerprint(text))] == ["r"]
    index.remove("r")
    assert "r" not in index and index.candidates(fingerprint(text)) == []


# --- the labelled set --------------------------------------------------------------------------

def assign_reports(docs: list[LabelledDoc]) -> list[int | str]:
    """Stream the documents through dedup as the jobs do: each joins the report find_match names,
    or starts one; the report's id is its first document's."""
    index = NearDuplicateIndex()
    reports = []
    for doc in docs:
        mh, digest = fingerprint(doc.text), content_sha256(doc.text)
        decision, matched = find_match(doc.text, doc.key, index, signature=mh, content_hash=digest)
        report = matched.doc_id if decision.same else doc.key.doc_id
        index.add(replace(doc.key, doc_id=report), mh, content_hash=digest)
        reports.append(report)
    return reports


def pair_precision_recall(truth: list[int], predicted: list[int | str]) -> tuple[float, float, int, int]:
    """Pairwise "same report" precision and recall over ALL pairs of documents, not only those the
    LSH proposed: a pair is predicted same when both documents ended in one report (directly or
    through other documents), truly same when they share a ground-truth cluster. Returns
    (precision, recall, predicted pairs, true pairs), counted from the contingency table."""
    def pairs(n: int) -> int:
        return n * (n - 1) // 2
    both = sum(pairs(n) for n in collections.Counter(zip(predicted, truth)).values())
    predicted_pairs = sum(pairs(n) for n in collections.Counter(predicted).values())
    true_pairs = sum(pairs(n) for n in collections.Counter(truth).values())
    return both / max(predicted_pairs, 1), both / max(true_pairs, 1), predicted_pairs, true_pairs


def test_pair_precision_recall_counts_every_pair() -> None:
    assert pair_precision_recall([1, 1, 2, 2], [1, 1, 2, 2])[:2] == (1.0, 1.0)
    assert pair_precision_recall([1, 1, 1, 2], ["a", "a", "b", "b"]) == (0.5, 1 / 3, 2, 3)
    assert pair_precision_recall([1, 2, 3], ["a", "a", "a"]) == (0.0, 0.0, 3, 0)


@pytest.fixture(scope="module")
def corpus() -> list[LabelledDoc]:
    return labelled_corpus()


def test_labelled_set_covers_the_cases(corpus: list[LabelledDoc]) -> None:
    assert len(corpus) >= 2000
    cases = collections.Counter(case for doc in corpus for case in doc.case.split("+"))
    for case in ("original", "copy", "chrome", "edit1", "edit2", "edit3", "traditional", "pdf", "truncated", "clone"):
        assert cases[case] >= 100, case
    assert len({doc.cluster for doc in corpus}) == 160


def test_labelled_set_same_report_precision_and_recall(corpus: list[LabelledDoc]) -> None:
    precision, recall, predicted, true = pair_precision_recall(
        [doc.cluster for doc in corpus], assign_reports(corpus))
    print(f"\nlabelled set: {len(corpus)} documents, {len({d.cluster for d in corpus})} reports, "
          f"{true} same-report pairs, {predicted} predicted: "
          f"precision {precision:.4f} recall {recall:.4f}")
    assert precision >= 0.99 and recall >= 0.99


def test_a_copy_that_says_nothing_of_its_place_is_not_given_to_one_of_two_sibling_reports() -> None:
    """Template siblings scoring alike: a copy with no place on it cannot be told apart by its key,
    so it joins neither; a copy scoring clearly higher with one of them joins that one."""
    hechuan = body("001", head=1, tail=9)
    jiangbei = hechuan.replace("合川", "江北").replace("6226项", "5120项")
    beibei = hechuan.replace("合川", "北碚").replace("1568件", "1320件")
    index = NearDuplicateIndex()
    index.add(HECHUAN, fingerprint(hechuan))
    index.add(DocKey("jiangbei", "重庆市江北区司法局", "500105", 2024, "annual_report"), fingerprint(jiangbei))
    vague = DocKey("clone", None, None, 2024, None)
    decision, matched = find_match(beibei, vague, index)
    assert not decision.same and matched is None and decision.reason.startswith("ambiguous"), decision
    decision, matched = find_match(hechuan + "\n本文来源于网络，如有侵权请联系删除。", vague, index)
    assert decision.same and matched.doc_id == "hechuan", decision
