"""Chinese word tokens for the full-text index and for queries (jieba, behind one function).

The index gets what jieba's search mode gives (every word plus the dictionary words inside it, so
a query for 复议 finds a text cut as 行政复议), kept as two streams: the words in text order, so that
phrases can be matched by position, and the inner words. Inner words of four characters and more
(行政执法 in 综合行政执法) are included, which jieba's search mode leaves out. Queries get the
precise cut. HMM is off on both sides:
new-word guessing makes the same string cut differently in different sentences, which is exactly
what an index cannot afford. The index and its queries must use the same backend and dictionary;
after switching backend, rebuild the index.

Loading a dictionary takes about a second (jieba) or 0.2 s (rjieba), so nothing is loaded at
import: `make_tokenizer` returns an object that loads on first use, and the caller passes it down.
"""
from __future__ import annotations

import bisect
import importlib.util
import itertools
import re
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

__all__ = ["Tokenizer", "make_tokenizer", "BACKENDS", "RULE_OF_LAW_WORDS"]

BACKENDS = ("jieba", "rjieba", "auto")

# Terms of the reports that jieba's default dictionary cuts apart (合法性审查 -> 合法性/审查) or knows
# only with a tiny frequency (行政复议: 3), so that they come out as one token in every sentence.
# (word, seed file, where the seed uses it).
RULE_OF_LAW_WORDS: tuple[tuple[str, str, str], ...] = (
    ("行政复议", "000", "中的4个镇街设立行政复议服务企业联系点"),
    ("行政诉讼", "000", "8件，均未被提起行政诉讼"),
    ("出庭应诉", "000", "行政机关负责人出庭应诉率达100%"),
    ("行政应诉", "000", "行政复议纠错情况、行政应诉败诉情况"),
    ("合法性审查", "000", "合法性审查招商引资合同18"),
    ("综合行政执法", "000", "其中综合行政执法事项数6563项"),
    ("行政执法", "000", "“大综合一体化”行政执法体制改革稳步推进"),
    ("行政执法监督", "001", "制定行政执法监督年度工作计划"),
    ("公平竞争审查", "002", "健全企业公平竞争审查、第三方评估机制"),
    ("重大行政决策", "001", "对重大行政决策开展合法性审查"),
    ("规范性文件", "000", "规范性文件管理更加规范"),
    ("公职律师", "000", "建立健全部门公职律师初审+法律顾问专审"),
    ("证明事项告知承诺制", "003", "“证明事项告知承诺制”和法律援助申请"),
    ("柔性执法", "001", "清理完善涉柔性执法、法制审核、裁量"),
    ("法治督察", "000", "《完善法治督察与纪检监察监督"),
    ("依法治县", "000", "依法治县全面推进"),
    ("依法治区", "001", "全面依法治区工作要点"),
    ("述法", "000", "“优化法治化营商环境”专题述法"),
    ("第一责任人", "000", "履行推进法治建设第一责任人职责规定"),
    ("营商环境", "000", "开展“优化法治化营商环境”专题述法"),
    ("法治政府", "000", "关于2024年法治政府建设情况的报告"),
    ("法治建设", "000", "主要负责人履行推进法治建设第一责任人职责"),
    ("行政调解", "000", "延伸11个行政调解组织"),
    ("行政裁决", "002", "规范行政裁决程序"),
    ("双随机一公开", "002", "推行“双随机一公开”监管"),
    ("放管服", "002", "持续深化“放管服”改革"),
)

# A token worth indexing has at least one letter, digit or CJK character (drops punctuation, spaces).
_WORDLIKE = re.compile(r"\w")
# The first CJK character: words from here on can hold inner dictionary words.
_CJK_START = "\u2e80"
# Distinct words remembered with their inner words (a 100k-report collection has far fewer).
_INNER_CACHE_MAX = 500_000
# Longer words tried for the first word of a phrase (诉讼 -> 行政诉讼, ...): the most frequent ones.
_TAIL_ALTERNATIVES = 8
_TAIL_MAX_WORD = 8


class Tokenizer:
    """jieba (or rjieba) with HMM off and the rule-of-law words; loads its dictionary on first use."""

    def __init__(self, backend: str = "jieba",
                 user_words: tuple[str, ...] = tuple(w for w, _, _ in RULE_OF_LAW_WORDS)) -> None:
        if backend not in ("jieba", "rjieba"):
            raise ValueError(f"unknown tokenizer backend {backend!r} (expected one of {BACKENDS})")
        self.backend = backend
        self.user_words = user_words
        self._cut: Callable[[str], list[str]] | None = None
        self._cut_for_search: Callable[[str], list[str]] | None = None
        self._has_word: Callable[[str], bool] | None = None
        self._inner_cache: dict[str, tuple[str, ...]] = {}
        self._tails: _TailIndex | None = None

    def __repr__(self) -> str:
        return f"Tokenizer(backend={self.backend!r})"

    @property
    def loaded(self) -> bool:
        return self._cut is not None

    def load(self) -> "Tokenizer":
        """Load the dictionary now (otherwise done by the first call)."""
        if self._cut is not None:
            return self
        engine: Any
        if self.backend == "jieba":
            import logging

            import jieba

            # jieba sets its own logger to DEBUG with a console handler when imported, so every
            # dictionary load would print to stderr; its log level is the one knob it offers.
            jieba.setLogLevel(logging.WARNING)
            engine = jieba.Tokenizer()
            engine.initialize()
            for word in self.user_words:
                engine.add_word(word)  # frequency suggested by jieba: kept whole in any sentence
            freq = engine.FREQ
            self._cut = lambda text: engine.lcut(text, HMM=False)
            self._cut_for_search = lambda text: engine.lcut_for_search(text, HMM=False)
            # FREQ also holds every prefix of every word with frequency 0.
            self._has_word = lambda w: freq.get(w, 0) > 0
        else:
            import rjieba

            engine = rjieba.Jieba()
            for word in self.user_words:
                engine.add_word(word, None, None)
            self._cut = lambda text: engine.cut(text, False)
            self._cut_for_search = lambda text: engine.cut_for_search(text, False)
            self._has_word = engine.has_word
        return self

    def _inner_words(self, word: str) -> tuple[str, ...]:
        """The dictionary words inside *word* (复议 in 行政复议), longest last."""
        n = len(word)
        # Only Chinese words hold dictionary words (2024 or COVID do not).
        if n < 3 or word[0] < _CJK_START:
            return ()
        assert self._has_word is not None
        return tuple(word[i:i + size] for size in range(2, n) for i in range(n - size + 1)
                     if self._has_word(word[i:i + size]))

    def _inner_of(self, words: list[str]) -> list[str]:
        # Words repeat a great deal: a cache makes this loop a dict lookup per word, which is what
        # keeps indexing above a million characters a second.
        cache = self._inner_cache
        if len(cache) > _INNER_CACHE_MAX:
            cache.clear()
        inner: list[str] = []
        for word in words:
            subs = cache.get(word)
            if subs is None:
                subs = cache[word] = self._inner_words(word)
            if subs:
                inner.extend(subs)
        return inner

    def index_text(self, text: str) -> tuple[str, str]:
        """What the index stores for *text*: (the words in order, the inner words), each joined by
        spaces. Punctuation is left in: the index's own tokenizer drops it."""
        if self._cut is None:
            self.load()
        assert self._cut is not None
        words = self._cut(unicodedata.normalize("NFKC", text))
        return " ".join(words), " ".join(self._inner_of(words))

    def index_streams(self, text: str) -> tuple[list[str], list[str]]:
        """(words, inner words) of *text*: the precise cut in order, so that a phrase is a run of
        consecutive words, and the dictionary words inside each longer word (复议 in 行政复议, 行政执法
        in 综合行政执法), which search mode adds. Punctuation and white space dropped."""
        if self._cut is None:
            self.load()
        assert self._cut is not None
        words = [w for w in self._cut(unicodedata.normalize("NFKC", text)) if _WORDLIKE.search(w)]
        return words, self._inner_of(words)

    def index_tokens(self, text: str) -> list[str]:
        """Search-mode tokens of *text* (words and the words inside them), punctuation and white
        space dropped."""
        words, inner = self.index_streams(text)
        return words + inner

    def words_ending_with(self, tail: str, *, limit: int = _TAIL_ALTERNATIVES,
                          max_extra: int = 3) -> tuple[str, ...]:
        """Dictionary words that end with *tail* and are up to *max_extra* characters longer,
        most frequent first (诉讼 -> 行政诉讼, 民事诉讼, ...): the words a text may hold where a
        phrase starting with *tail* begins (诉讼案件 in 行政诉讼/案件)."""
        if self._tails is None:
            self._tails = _TailIndex(self._dictionary_words())
        return self._tails.lookup(tail, limit, max_extra)

    def _dictionary_words(self) -> Iterator[tuple[str, int]]:
        """(word, frequency) of the default dictionary and the user words. Both backends ship
        jieba's dict.txt (rjieba embeds the same file)."""
        import jieba

        path = Path(jieba.__file__).resolve().parent / jieba.DEFAULT_DICT_NAME
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.split(" ")
                if len(parts) >= 2 and parts[1].isdigit():
                    yield parts[0], int(parts[1])
        for word in self.user_words:
            yield word, 1

    def query_tokens(self, text: str) -> list[str]:
        """Precise-mode tokens of a query word, punctuation and white space dropped."""
        if self._cut is None:
            self.load()
        assert self._cut is not None
        return [w for w in self._cut(unicodedata.normalize("NFKC", text)) if _WORDLIKE.search(w)]


class _TailIndex:
    """Words by their ending: the dictionary's words reversed and sorted, so that the words ending
    with a string are one range (bisect). About 30 MB, built in about a second on first use."""

    def __init__(self, words: Iterable[tuple[str, int]]) -> None:
        freq: dict[str, int] = {}
        for word, n in words:
            if 2 < len(word) <= _TAIL_MAX_WORD and word[0] >= _CJK_START:
                freq[word] = max(freq.get(word, 0), n)
        self.freq = freq
        self.reversed = sorted(w[::-1] for w in freq)
        self.cache: dict[tuple[str, int, int], tuple[str, ...]] = {}

    def lookup(self, tail: str, limit: int, max_extra: int) -> tuple[str, ...]:
        cached = self.cache.get((tail, limit, max_extra))
        if cached is None:
            if len(self.cache) > _INNER_CACHE_MAX:
                self.cache.clear()
            cached = self.cache[(tail, limit, max_extra)] = self._lookup(tail, limit, max_extra)
        return cached

    def _lookup(self, tail: str, limit: int, max_extra: int) -> tuple[str, ...]:
        key = tail[::-1]
        found = []
        for rev in itertools.islice(self.reversed, bisect.bisect_left(self.reversed, key), None):
            if not rev.startswith(key):
                break
            if len(key) < len(rev) <= len(key) + max_extra:
                found.append(rev[::-1])
        found.sort(key=lambda w: (-self.freq[w], w))
        return tuple(found[:limit])


def make_tokenizer(backend: str = "jieba") -> Tokenizer:
    """The tokenizer for *backend*: "jieba", "rjieba" (same cuts, about 10x faster) or "auto"
    (rjieba when installed). Nothing is loaded until the first call."""
    if backend == "auto":
        backend = "rjieba" if importlib.util.find_spec("rjieba") is not None else "jieba"
    return Tokenizer(backend)
