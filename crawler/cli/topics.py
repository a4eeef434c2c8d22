"""``talkwatch classify`` and ``talkwatch eval-topics``: the topic flag, by hand and on a labelled set."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawler.cli import add_command
from crawler.topics.classifier import classify
from crawler.topics.evaluate import EvalInputError, evaluate, format_text, load_jsonl, to_json
from storage.migrate import require_current_schema
from storage.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(sub, "classify")
    parser.add_argument("text", nargs="?", metavar="TEXT|FILE|-",
                        help="the text itself, a text file, or - for stdin; its first line is the title, "
                             "the rest the body (default: stdin)")
    parser.add_argument("--title", help="the headline; then TEXT/FILE/stdin is all body "
                                        "(default: TEXT's first line)")
    parser.add_argument("--published", metavar="DATE",
                        help="ISO date of publication: who held which office then, what 「21日」 means "
                             "(default: none: each person's latest office counts)")
    parser.add_argument("--lang", help="ja or en: the language the explanation uses (default: the text's)")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: label, score, explanation, event, terms")
    parser.set_defaults(handler=run_classify)

    parser = add_command(sub, "eval-topics")
    parser.add_argument("file", type=Path,
                        help='JSONL, one object a line: "id", "text" (title on its first line), "label" '
                             '(ministerial, related or other), optionally "published" and "source"')
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: per-label figures, confusion, items")
    parser.set_defaults(handler=run_eval)


def read_source(source: str | None) -> str:
    """``talkwatch classify`` input: stdin for ``-`` or nothing, a file when one exists at that path,
    else the argument is the text itself (「岩屋外相はルビオ国務長官と電話会談した」)."""
    if source in (None, "-"):
        return sys.stdin.read()
    path = Path(source)
    try:
        if "\n" not in source and len(source) < 4096 and path.is_file():
            return path.read_text("utf-8")
    except OSError:  # a text too long or odd for a file name
        pass
    return source


def run_classify(args: argparse.Namespace) -> int:
    raw = read_source(args.text)
    title, body = (args.title, raw) if args.title else (raw.partition("\n")[0], raw.partition("\n")[2])
    decision = classify(title, body, published=args.published, lang=args.lang)
    if args.json:
        print(json.dumps({"label": decision.label, "score": decision.score, "explanation": decision.explain(),
                          "event": decision.event.to_dict() if decision.event else None,
                          "terms": [t.__dict__ for t in decision.terms]}, ensure_ascii=False, default=str))
    else:
        print(f"{decision.label} (score {decision.score:.2f}) — {decision.explain()}")
    return 0


@contextmanager
def throwaway_store() -> Iterator[Store]:
    """The crawler's own storage, in a temporary SQLite file, for threading during an evaluation."""
    with tempfile.TemporaryDirectory(prefix="talkwatch-eval-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'eval.sqlite3'}")
        require_current_schema(store.db.engine)
        try:
            yield store
        finally:
            store.db.dispose()


def run_eval(args: argparse.Namespace) -> int:
    try:
        items = load_jsonl(args.file)
    except (EvalInputError, OSError) as exc:
        print(f"talkwatch eval-topics: {exc}", file=sys.stderr)
        return 2
    with throwaway_store() as store:
        result = evaluate(items, book_factory=lambda: store.threads)
    print(json.dumps(to_json(result), ensure_ascii=False) if args.json else format_text(result))
    return 0
