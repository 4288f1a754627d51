"""Lay out more real Chinese pages with hand-made gold text for `bench/parse_speed.py --extra DIR`,
from local git copies of two public datasets (the pages themselves are not kept in this repository).

    .venv/bin/python bench/heldout_pages.py --daniel GITDIR --cwced GITDIR --out DIR

Writes DIR/daniel-zh/{html,gold}/ and DIR/cwced-rest/{html,gold}/, the layout --extra reads:

- daniel-zh: the Chinese pages of the DAnIEL corpus as re-annotated in rundimeco/waddle
  (`corpora/Corpus_daniel_v2.1`, `doc_lg.json` says "Chinese"; GPL-3.0; Lejeune & Zhu 2018,
  "A New Proposal for Evaluating Web Page Cleaning Tools"). News pages of 2011-2012 from 150 sites
  in mainland China, Hong Kong and Taiwan (simplified and traditional). One page a site, the first
  by file name (the earliest), so that no template counts twice. Gold: the reference file's
  paragraphs with tags and entities removed; its first paragraph is dropped when it is a headline
  (at most 60 characters and no sentence end 。！？!?), as the gold of zh-extraction has no title.
- cwced-rest: the pages of immortal-autumn/Chinese-Web-Content-Extraction-Dataset (MIT) that are
  not in tests/data/zh-extraction (news, blogs, forums, portals); gold is its `cleaned/` text.

Both rules are fixed here, before any result was looked at; bench/parse_speed.py then splits every
page into the tuning or the test half by HALF (tests/textscore.py).
"""
from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import tarfile
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "tests" / "data" / "zh-extraction" / "html"
DANIEL = "corpora/Corpus_daniel_v2.1"
HEADLINE_CHARS = 60


def _tree(gitdir: Path, path: str) -> dict[str, bytes]:
    """name -> bytes of every file under `path` at HEAD of a bare git copy."""
    out = subprocess.run(["git", f"--git-dir={gitdir}", "archive", "HEAD", path], check=True,
                         capture_output=True).stdout
    files = {}
    with tarfile.open(fileobj=io.BytesIO(out)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                files[member.name] = tar.extractfile(member).read()
    return files


def daniel_gold(reference: str) -> str:
    paras = [html.unescape(re.sub(r"<[^>]+>", "", p)).strip()
             for p in re.split(r"</p>|<br\s*/?>|\n", reference)]
    paras = [p for p in paras if p]
    if paras and len(paras[0]) <= HEADLINE_CHARS and not re.search(r"[。！？!?]", paras[0]):
        paras = paras[1:]
    return "\n".join(paras) + "\n"


def write_daniel(gitdir: Path, out: Path) -> int:
    files = _tree(gitdir, DANIEL)
    langs = json.loads(files[f"{DANIEL}/doc_lg.json"])
    chosen: dict[str, str] = {}
    for page_id in sorted(k for k, v in langs.items() if v == "Chinese"):
        if f"{DANIEL}/html/{page_id}" in files and f"{DANIEL}/reference/{page_id}" in files:
            chosen.setdefault(page_id.split("_")[1], page_id)  # first page of each site
    (out / "html").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    for page_id in chosen.values():
        gold = daniel_gold(files[f"{DANIEL}/reference/{page_id}"].decode("utf-8", "replace"))
        (out / "html" / f"{page_id}.html").write_bytes(files[f"{DANIEL}/html/{page_id}"])
        (out / "gold" / f"{page_id}.txt").write_text(gold, "utf-8")
    return len(chosen)


def write_cwced(gitdir: Path, out: Path) -> int:
    files = _tree(gitdir, "original") | _tree(gitdir, "cleaned")
    committed = {p.stem for p in COMMITTED.glob("*.html")}
    (out / "html").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    n = 0
    for name, body in sorted(files.items()):
        if not name.startswith("original/") or not name.endswith(".html"):
            continue
        page_id = Path(name).stem
        gold = files.get(f"cleaned/{page_id}.txt")
        if page_id in committed or gold is None:
            continue
        (out / "html" / f"{page_id}.html").write_bytes(body)
        (out / "gold" / f"{page_id}.txt").write_bytes(gold)
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daniel", type=Path, required=True, help="git dir of rundimeco/waddle")
    parser.add_argument("--cwced", type=Path, required=True,
                        help="git dir of immortal-autumn/Chinese-Web-Content-Extraction-Dataset")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(f"daniel-zh: {write_daniel(args.daniel, args.out / 'daniel-zh')} pages")
    print(f"cwced-rest: {write_cwced(args.cwced, args.out / 'cwced-rest')} pages")


if __name__ == "__main__":
    main()
