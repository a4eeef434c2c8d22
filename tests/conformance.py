"""Conformance of the page parsers with the real captured pages in ``../shared/fixtures``.

Every ``*.html`` there with a sibling ``*.expected.json`` is parsed by its outlet's
``parse_article`` and compared with the hand-checked truth:

- ``title`` and ``published``: exact string equality;
- body: character-level F1 >= 0.99 over the joined paragraphs with all whitespace removed.
  F1 is taken over character *multisets* (``Counter`` intersection): precision = shared
  characters / extracted characters, recall = shared characters / expected characters. It
  measures missing and extra text (boilerplate, dropped paragraphs); it does not see order,
  which the paragraph split already pins down well enough for a 0.99 goal;
- ``body_complete``: equal, where the expected file states it.

Run ``python -m tests.conformance`` for a table (exit status 1 on any failure);
``tests/test_conformance.py`` runs the same checks under pytest. The shared folder is
``<repo>/../shared`` unless ``TALKWATCH_SHARED_DIR`` points elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request
from w3lib.encoding import html_body_declared_encoding

from crawler.outlets import OUTLET_NAMES, get_outlet
from tests.support import SHARED_DIR

SKIP_REASON = "../shared/fixtures not found: conformance runs only where the shared fixtures exist"
F1_GOAL = 0.99
# the folder says which parser reads a page when the expected file names no registered outlet
# (arc/ holds Sankei too: parse_article in reuters.py is a generic Arc parser)
FOLDER_OUTLETS = {"jiji": "jiji", "nhk": "nhk", "arc": "reuters", "mofa": "mofa", "reuters": "reuters"}


def shared_dir() -> Path | None:
    """The shared folder (``TALKWATCH_SHARED_DIR`` or ``<repo>/../shared``) if it has fixtures."""
    override = os.environ.get("TALKWATCH_SHARED_DIR")
    path = Path(override).expanduser() if override else SHARED_DIR
    return path if (path / "fixtures").is_dir() else None


@dataclass(frozen=True)
class Page:
    html: Path
    expected: dict[str, Any]
    outlet: str
    url: str
    name: str  # path under fixtures/, e.g. "arc/reuters_2024-03-07.html"


def readme_urls(fixtures: Path) -> dict[str, str]:
    """``file -> real URL`` from the table in ``fixtures/README.md`` (``| file | real URL | ...``)."""
    readme = fixtures / "README.md"
    if not readme.is_file():
        return {}
    urls: dict[str, str] = {}
    for line in readme.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].endswith(".html") and re.match(r"https?://", cells[1]):
            urls[cells[0]] = cells[1]
    return urls


def outlet_for(expected: dict[str, Any], folder: str) -> str | None:
    named = expected.get("outlet")
    if isinstance(named, str) and named in OUTLET_NAMES:
        return named
    return FOLDER_OUTLETS.get(folder)


def find_pages(shared: Path) -> list[Page]:
    fixtures = shared / "fixtures"
    urls = readme_urls(fixtures)
    pages: list[Page] = []
    for html in sorted(fixtures.rglob("*.html")):
        expected_file = html.with_name(html.name[: -len(".html")] + ".expected.json")
        if not expected_file.is_file():
            continue  # e.g. the hand-trimmed NHK page: a structure hint, not ground truth
        expected = json.loads(expected_file.read_text("utf-8"))
        name = html.relative_to(fixtures).as_posix()
        folder = html.parent.name
        url = expected.get("canonical_url") or urls.get(name) or ""
        outlet = outlet_for(expected, folder) or f"unknown ({folder})"
        pages.append(Page(html=html, expected=expected, outlet=outlet, url=url, name=name))
    return pages


def response_for(page: Page) -> HtmlResponse:
    body = page.html.read_bytes()
    encoding = html_body_declared_encoding(body) or "utf-8"
    return HtmlResponse(url=page.url, body=body, encoding=encoding, request=Request(page.url))


def squeeze(paragraphs: Iterable[str]) -> str:
    """Joined paragraphs with every whitespace character (ASCII and U+3000 alike) removed."""
    return re.sub(r"\s+", "", "".join(paragraphs))


def char_f1(extracted: str, expected: str) -> float:
    """F1 over character multisets (see the module docstring)."""
    if not extracted and not expected:
        return 1.0
    if not extracted or not expected:
        return 0.0
    shared = sum((Counter(extracted) & Counter(expected)).values())
    if not shared:
        return 0.0
    precision, recall = shared / len(extracted), shared / len(expected)
    return 2 * precision * recall / (precision + recall)


@dataclass
class Result:
    page: Page
    error: str | None = None
    title: str | None = None
    published: str | None = None
    f1: float = 0.0
    body_complete: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def title_ok(self) -> bool:
        return self.error is None and self.title == self.page.expected.get("title")

    @property
    def published_ok(self) -> bool:
        return self.error is None and self.published == self.page.expected.get("published")

    @property
    def f1_ok(self) -> bool:
        return self.error is None and self.f1 >= F1_GOAL

    @property
    def complete_ok(self) -> bool | None:
        """``None`` when the expected file does not state ``body_complete``."""
        if "body_complete" not in self.page.expected:
            return None
        return self.error is None and self.body_complete == self.page.expected["body_complete"]

    @property
    def passed(self) -> bool:
        return self.title_ok and self.published_ok and self.f1_ok and self.complete_ok is not False


def check(page: Page) -> Result:
    """Parse one page with its outlet's parser and compare it with the expected file."""
    result = Result(page=page)
    if not page.url:
        result.error = "no URL for this page (expected canonical_url or README table)"
        return result
    try:
        module = get_outlet(page.outlet)
        parsed = module.parse_article(response_for(page))
    except Exception as exc:  # a missing module or a parser crash is a failure to report, not to hide
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    result.title = parsed.title
    result.published = parsed.published
    result.f1 = char_f1(squeeze(parsed.paragraphs), squeeze(page.expected.get("paragraphs", [])))
    result.body_complete = parsed.body_complete
    return result


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("ok" if ok else "FAIL")


def format_table(results: Sequence[Result]) -> str:
    header = ("file", "outlet", "title", "published", "char-F1", "complete", "result")
    rows = [header] + [
        (
            r.page.name,
            r.page.outlet,
            _mark(r.title_ok),
            _mark(r.published_ok),
            "-" if r.error else f"{r.f1:.4f}",
            _mark(r.complete_ok),
            "pass" if r.passed else "FAIL",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in results:
        if r.error:
            lines.append(f"{r.page.name}: {r.error}")
            continue
        if not r.title_ok:
            lines.append(f"{r.page.name}: title {r.title!r} != {r.page.expected.get('title')!r}")
        if not r.published_ok:
            lines.append(f"{r.page.name}: published {r.published!r} != {r.page.expected.get('published')!r}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--shared", type=Path, help="the shared folder (default: TALKWATCH_SHARED_DIR or ../shared)"
    )
    args = parser.parse_args(argv)
    shared = args.shared if args.shared and (args.shared / "fixtures").is_dir() else shared_dir()
    if args.shared and shared != args.shared:
        print(f"{args.shared}/fixtures not found", file=sys.stderr)
        return 2
    if shared is None:
        print(SKIP_REASON, file=sys.stderr)
        return 0
    results = [check(page) for page in find_pages(shared)]
    print(format_table(results))
    failed = sum(not r.passed for r in results)
    print(f"\n{len(results) - failed}/{len(results)} pages pass (goal: title and published exact, "
          f"char-F1 >= {F1_GOAL}, body_complete equal)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
