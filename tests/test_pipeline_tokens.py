"""Tokens for the index and for queries: search-mode sub-words, the rule-of-law words kept whole,
punctuation dropped, the same cuts from jieba and rjieba, nothing loaded before first use."""
from __future__ import annotations

import importlib.util

import pytest

from pipeline.tokens import RULE_OF_LAW_WORDS, Tokenizer, make_tokenizer
from storage_collection import SEEDS

HAS_RJIEBA = importlib.util.find_spec("rjieba") is not None
BACKENDS = ["jieba", pytest.param("rjieba", marks=pytest.mark.skipif(
    not HAS_RJIEBA, reason="rjieba is not installed"))]


@pytest.fixture(scope="module", params=BACKENDS)
def tokenizer(request) -> Tokenizer:
    return make_tokenizer(request.param).load()


@pytest.mark.parametrize("text, must_have", [
    # search mode: the word and the dictionary words inside it
    ("加强行政复议工作", {"行政复议", "行政", "复议", "加强", "工作"}),
    # a user word longer than 4 characters also yields its 4-character inner word
    ("其中综合行政执法事项数6563项", {"综合行政执法", "行政执法", "行政", "执法", "6563"}),
    ("合法性审查招商引资合同18件", {"合法性审查", "合法性", "审查", "18"}),
    ("推行“双随机一公开”监管", {"双随机一公开", "随机", "公开", "监管"}),
])
def test_index_tokens_hold_words_and_inner_words(tokenizer, text, must_have):
    tokens = tokenizer.index_tokens(text)
    assert must_have <= set(tokens)


@pytest.mark.parametrize("text", ["“加强”，（行政）复议。\n\t  ！", "2024年 1 月、 ２０２４年"])
def test_index_and_query_tokens_drop_punctuation_and_space(tokenizer, text):
    for tokens in (tokenizer.index_tokens(text), tokenizer.query_tokens(text)):
        assert tokens and all(t.strip() == t and any(c.isalnum() for c in t) for t in tokens)


def test_full_width_forms_are_folded(tokenizer):
    assert "2024" in tokenizer.index_tokens("２０２４年")
    assert tokenizer.query_tokens("２０２４") == ["2024"]


@pytest.mark.parametrize("word, _seed, _example", RULE_OF_LAW_WORDS)
def test_rule_of_law_words_stay_whole(tokenizer, word, _seed, _example):
    assert tokenizer.query_tokens(word) == [word]
    assert word in tokenizer.index_tokens(_example)


@pytest.mark.parametrize("word", ["行政复议", "复议", "败诉", "庭审", "公证", "行政执法", "出庭应诉",
                                  "依法行政", "法律援助", "规范性文件", "营商环境"])
def test_every_query_token_of_a_word_is_indexed_where_the_word_occurs(tokenizer, word):
    """What makes search work: a text containing the word has all of the word's query tokens."""
    found = 0
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        if word in text:
            found += 1
            assert set(tokenizer.query_tokens(word)) <= set(tokenizer.index_tokens(text)), path.name
    assert found


@pytest.mark.parametrize("tail, expected", [("诉讼", {"行政诉讼", "民事诉讼", "刑事诉讼"}),
                                             ("复议", {"行政复议"})])
def test_words_ending_with_a_word(tokenizer, tail, expected):
    """The words a phrase's first word may be the end of (诉讼案件 in 行政诉讼/案件)."""
    words = tokenizer.words_ending_with(tail)
    assert expected <= set(words)
    assert all(w.endswith(tail) and len(tail) < len(w) <= len(tail) + 3 for w in words)


@pytest.mark.skipif(not HAS_RJIEBA, reason="rjieba is not installed")
def test_jieba_and_rjieba_cut_the_seeds_alike():
    """An index built with one backend can be queried with the other."""
    a, b = make_tokenizer("jieba"), make_tokenizer("rjieba")
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        assert a.index_tokens(text) == b.index_tokens(text), path.name
        assert a.query_tokens(text) == b.query_tokens(text), path.name


def test_nothing_is_loaded_until_first_use():
    tok = make_tokenizer("jieba")
    assert not tok.loaded
    tok.query_tokens("复议")
    assert tok.loaded


def test_auto_picks_an_installed_backend_and_unknown_ones_fail():
    assert make_tokenizer("auto").backend == ("rjieba" if HAS_RJIEBA else "jieba")
    with pytest.raises(ValueError, match="backend"):
        make_tokenizer("thulac")
