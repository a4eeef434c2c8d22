"""Conformance of ``talkwatch parse`` with the real captured pages in ``../shared/fixtures``.

Every page there with a sibling ``*.expected.json`` is run through the command a user types —
``talkwatch parse FILE --outlet NAME``, once with ``--url`` (the page's real URL) and once without (the
command must find the URL in the page and tell article from listing by itself) — and compared with the
hand-checked truth:

- articles: ``title``, ``published`` and (where stated) ``modified`` by exact string equality; the body
  by character-level F1 >= 0.99 over the joined paragraphs with all whitespace removed (F1 over character
  *multisets*: precision = shared / extracted characters, recall = shared / expected characters; it
  measures missing and extra text, not order); ``body_complete`` and the stable key where stated;
- discovery documents (``"kind": "discovery"``): every listed article link found, and no link outside
  ``urls`` and ``also_acceptable``.

Run ``python -m tests.conformance`` for the table (exit status 1 on any failure);
``tests/test_conformance.py`` runs the same checks under pytest. The shared folder is
``<repo>/../shared`` unless ``TALKWATCH_SHARED_DIR`` points elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.outlets import OUTLET_NAMES
from tests.support import REPO_ROOT, SHARED_DIR

SKIP_REASON = "../shared/fixtures not found: conformance runs only where the shared fixtures exist"
F1_GOAL = 0.99
MODES = ("url", "no-url")
# the folder says which parser reads a page when the expected file names no registered outlet
# (arc/ holds Sankei too: the Reuters parser reads any Arc page)
FOLDER_OUTLETS = {"jiji": "jiji", "nhk": "nhk", "arc": "reuters", "mofa": "mofa", "reuters": "reuters"}


def shared_dir() -> Path | None:
    """The shared folder (``TALKWATCH_SHARED_DIR`` or ``<repo>/../shared``) if it has fixtures."""
    override = os.environ.get("TALKWATCH_SHARED_DIR")
    path = Path(override).expanduser() if override else SHARED_DIR
    return path if (path / "fixtures").is_dir() else None


@dataclass(frozen=True)
class Page:
    path: Path
    expected: dict[str, Any]
    outlet: str
    url: str
    name: str  # path under fixtures/, e.g. "arc/reuters_2024-03-07.html"

    @property
    def is_discovery(self) -> bool:
        return self.expected.get("kind") == "discovery"


def readme_urls(fixtures: Path) -> dict[str, str]:
    """``file -> real URL`` from the table in ``fixtures/README.md`` (``| file | real URL | ...``)."""
    readme = fixtures / "README.md"
    if not readme.is_file():
        return {}
    urls: dict[str, str] = {}
    for line in readme.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].endswith((".html", ".xml")) and re.match(r"https?://", cells[1]):
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
    for expected_file in sorted(fixtures.rglob("*.expected.json")):
        stem = expected_file.name[: -len(".expected.json")]
        document = next((expected_file.with_name(stem + ext) for ext in (".html", ".xml", ".json")
                         if expected_file.with_name(stem + ext).is_file()), None)
        if document is None:
            continue
        expected = json.loads(expected_file.read_text("utf-8"))
        name = document.relative_to(fixtures).as_posix()
        url = expected.get("canonical_url") or urls.get(name) or ""
        outlet = outlet_for(expected, document.parent.name) or f"unknown ({document.parent.name})"
        pages.append(Page(path=document, expected=expected, outlet=outlet, url=url, name=name))
    return pages


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
    mode: str  # "url" or "no-url"
    error: str | None = None
    got: dict[str, Any] = field(default_factory=dict)

    # --- articles ---
    @property
    def title_ok(self) -> bool:
        return self.error is None and self.got.get("title") == self.page.expected.get("title")

    @property
    def published_ok(self) -> bool:
        return self.error is None and self.got.get("published") == self.page.expected.get("published")

    @property
    def modified_ok(self) -> bool | None:
        if "modified" not in self.page.expected:
            return None
        return self.error is None and self.got.get("modified") == self.page.expected["modified"]

    @property
    def f1(self) -> float:
        expected = squeeze(self.page.expected.get("paragraphs", []))
        return char_f1(squeeze(self.got.get("paragraphs") or []), expected)

    @property
    def complete_ok(self) -> bool | None:
        """``None`` when the expected file does not state ``body_complete``."""
        if "body_complete" not in self.page.expected:
            return None
        return self.error is None and self.got.get("body_complete") == self.page.expected["body_complete"]

    @property
    def key_ok(self) -> bool | None:
        """The expected ``stable_key`` (``outlet:id``), where the file states one."""
        want = self.page.expected.get("stable_key")
        if not want:
            return None
        return self.error is None and f"{self.page.outlet}:{self.got.get('stable_key')}" == want

    # --- discovery documents ---
    @property
    def links(self) -> tuple[int, int, list[str]]:
        """(expected links found, expected links, links found that are not acceptable)."""
        want = set(self.page.expected.get("urls", []))
        have = set(self.got.get("urls") or [])
        extra = sorted(have - want - set(self.page.expected.get("also_acceptable", [])))
        return len(want & have), len(want), extra

    @property
    def passed(self) -> bool:
        if self.error is not None:
            return False
        if self.page.is_discovery:
            found, wanted, extra = self.links
            return self.got.get("kind") == "discovery" and found == wanted and not extra
        checks = (self.title_ok, self.published_ok, self.f1 >= F1_GOAL, self.modified_ok, self.complete_ok,
                  self.key_ok)
        return self.got.get("kind") == "article" and all(c is not False for c in checks)


def talkwatch_command() -> list[str]:
    """``talkwatch`` as installed beside this interpreter (the venv's console script), else the module."""
    script = Path(sys.executable).with_name("talkwatch")
    if script.exists():
        return [str(script)]
    found = shutil.which("talkwatch")
    return [found] if found else [sys.executable, "-m", "crawler.cli"]


def check(page: Page, mode: str = "url") -> Result:
    """``talkwatch parse`` on one page, as a user runs it, compared with the expected file."""
    result = Result(page=page, mode=mode)
    if mode == "url" and not page.url:
        result.error = "no URL for this page (expected canonical_url or README table)"
        return result
    command = [*talkwatch_command(), "parse", str(page.path), "--outlet", page.outlet]
    if mode == "url":
        command += ["--url", page.url]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    try:
        result.got = json.loads(run.stdout)
    except json.JSONDecodeError:
        result.error = f"exit {run.returncode}, no JSON: {(run.stderr or run.stdout).strip()[-300:]}"
        return result
    if "error" in result.got:
        result.error = str(result.got["error"])
    return result


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("ok" if ok else "FAIL")


def format_table(results: Sequence[Result]) -> str:
    header = ("file", "mode", "outlet", "title", "date", "body F1", "links", "result")
    rows = [header]
    for r in results:
        found, wanted, extra = r.links
        article = not r.page.is_discovery
        rows.append((
            r.page.name, r.mode, r.page.outlet,
            _mark(r.title_ok) if article else "-",
            _mark(r.published_ok) if article else "-",
            "-" if r.error or not article else f"{r.f1:.4f}",
            "-" if article else f"{found}/{wanted}" + (f" +{len(extra)}" if extra else ""),
            "pass" if r.passed else "FAIL",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in results:
        where = f"{r.page.name} ({r.mode})"
        if r.error:
            lines.append(f"{where}: {r.error}")
        elif r.page.is_discovery:
            found, wanted, extra = r.links
            if found < wanted or extra:
                lines.append(f"{where}: {wanted - found} links missing, unexpected: {extra[:5]}")
        else:
            for name in ("title", "published", "modified"):
                ok = getattr(r, f"{name}_ok")
                if ok is False:
                    lines.append(f"{where}: {name} {r.got.get(name)!r} != {r.page.expected.get(name)!r}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path,
                        help="the shared folder (default: TALKWATCH_SHARED_DIR or ../shared)")
    args = parser.parse_args(argv)
    shared = args.shared if args.shared and (args.shared / "fixtures").is_dir() else shared_dir()
    if args.shared and shared != args.shared:
        print(f"{args.shared}/fixtures not found", file=sys.stderr)
        return 2
    if shared is None:
        print(SKIP_REASON, file=sys.stderr)
        return 0
    results = [check(page, mode) for page in find_pages(shared) for mode in MODES]
    print(format_table(results))
    failed = sum(not r.passed for r in results)
    print(f"\n{len(results) - failed}/{len(results)} runs pass (articles: title, date and modified exact, "
          f"char-F1 >= {F1_GOAL}, body_complete and key equal; listings: every link, nothing unexpected)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
