"""The search query language: terms (all must match), "quoted phrases", OR, NOT / -term, parentheses.

Parsing is pure and backend-neutral; storage/search.py matches each term exactly, as a substring
of the folded text (storage/grams.py). Examples (each parsed in tests/test_storage_search.py):

    行政复议                      one term: these characters together (also inside longer words)
    行政复议 败诉                 both terms
    "行政机关负责人出庭应诉"      the same as without quotes; quotes keep punctuation and OR/NOT
    行政复议 OR 行政诉讼          either
    行政复议 -酉阳  /  行政复议 NOT 酉阳   the first without the second
    (复议 OR 诉讼) 纠错           grouping
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

__all__ = ["Term", "And", "Or", "Not", "Node", "QueryError", "parse_query"]


class QueryError(ValueError):
    """A query that cannot be run (for example one made only of NOT words)."""


@dataclass(frozen=True)
class Term:
    """A word as typed (quoted=False) or a "quoted phrase" (quoted=True)."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


Node = Union[Term, And, Or, Not]

# Full-width brackets and quotes are what a Chinese keyboard types.
_LEXER = re.compile(
    r'(?P<phrase>-?["“”「][^"“”「」]*["“”」]?)'
    r'|(?P<open>[(（])|(?P<close>[)）])'
    r'|(?P<word>[^\s()（）"“”「」]+)'
)
_OPERATORS = {"OR", "AND", "NOT", "|"}


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in _LEXER.finditer(text):
        kind = m.lastgroup or "word"
        value = m.group(kind)
        if kind == "word" and value in _OPERATORS:
            kind = "or" if value in ("OR", "|") else value.lower()
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_or(self) -> Node | None:
        items = [self.parse_and()]
        while self.peek() == "or":
            self.take()
            items.append(self.parse_and())
        kept = [i for i in items if i is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Or(tuple(kept))

    def parse_and(self) -> Node | None:
        items: list[Node] = []
        while self.peek() not in (None, "or", "close"):
            if self.peek() == "and":
                self.take()
                continue
            item = self.parse_unary()
            if item is not None:
                items.append(item)
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node | None:
        kind, value = self.take()
        if kind == "not":
            if self.peek() in (None, "or", "close"):
                return None
            inner = self.parse_unary()
            return Not(inner) if inner is not None else None
        if kind == "open":
            inner = self.parse_or()
            if self.peek() == "close":
                self.take()
            return inner
        if kind == "close":  # a stray ")" is ignored
            return None
        negated = value.startswith("-") and len(value) > 1
        if negated:
            value = value[1:]
        if kind == "phrase":
            node: Node | None = _phrase(value)
        else:
            node = Term(value) if value != "-" else None
        if node is None:
            return None
        return Not(node) if negated else node


def _phrase(raw: str) -> Term | None:
    inner = raw.strip('"“”「」')
    # "法治 政府" is typed with a space the text does not have; keep spaces between Latin words only.
    inner = re.sub(r"\s+", " ", inner).strip()
    inner = re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", inner)
    return Term(inner, quoted=True) if inner else None


def parse_query(text: str) -> Node | None:
    """The tree of *text*, or None when it holds no word. Unbalanced quotes and brackets are
    closed silently: a search box should not answer a typo with an error."""
    parser = _Parser(_lex(text))
    node = parser.parse_or()
    while parser.peek() is not None:  # text after a stray ")": AND it to what came before
        parser.take()
        rest = parser.parse_or()
        if rest is not None:
            node = rest if node is None else And((node, rest))
    return node
