"""The operator commands as a person runs them: ``talkwatch parse``, ``classify`` and ``eval-topics``;
the command line's own help, and what ``status`` imports."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.mirror import SITE_DIR

TOPIC_DIR = Path(__file__).parent / "topics"
READOUT_URL = "https://www.mofa.go.jp/mofaj/na/na1/us/pageit_000001_01515.html"


def talkwatch(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def parsed_readout() -> dict:
    done = talkwatch("parse", str(SITE_DIR / "mofa" / "pageit_000001_01515.html"), "--outlet", "mofa",
                     "--url", READOUT_URL)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_parse_prints_the_article_fields(parsed_readout: dict):
    assert {"title", "published", "modified", "paragraphs", "body_complete", "stable_key", "canonical_url",
            "lang"} <= set(parsed_readout)


def test_parse_title(parsed_readout: dict):
    assert parsed_readout["title"] == "日米外相会談"


def test_parse_stable_key(parsed_readout: dict):
    assert parsed_readout["stable_key"] == "mofaj/na/na1/us/pageit_000001_01515"


def test_parse_feed_lists_article_urls():
    done = talkwatch("parse", str(SITE_DIR / "nhk" / "cat4.xml"), "--outlet", "nhk")
    assert done.returncode == 0, done.stderr
    urls = json.loads(done.stdout)["urls"]
    assert urls and all(u.startswith(("https://news.web.nhk/", "https://www3.nhk.or.jp/")) for u in urls)


def test_parse_listing_lists_article_urls():
    done = talkwatch("parse", str(SITE_DIR / "jiji" / "list_pol.html"), "--outlet", "jiji",
                     "--url", "https://www.jiji.com/jc/list?g=pol")
    assert done.returncode == 0, done.stderr
    assert all("/jc/article?k=" in u for u in json.loads(done.stdout)["urls"])


def test_parse_of_a_page_it_cannot_read_exits_1_with_the_reason(tmp_path: Path):
    page = tmp_path / "broken.html"
    page.write_text("<html><body><h1>日米外相会談</h1></body></html>", encoding="utf-8")
    done = talkwatch("parse", str(page), "--outlet", "mofa", "--url", READOUT_URL)
    assert done.returncode == 1
    assert json.loads(done.stdout) == {"error": "no date"}


def test_classify_flags_japan_us_talks_and_says_why():
    text = ("茂木外相、ルビオ国務長官と電話会談\n"
            "茂木敏充外相は5日、ルビオ米国務長官と電話で会談し、同盟強化で一致した。")
    done = talkwatch("classify", "--published", "2025-11-05", "--json", stdin=text)
    result = json.loads(done.stdout)
    assert result["label"] == "ministerial"
    assert "茂木" in result["explanation"] and "ルビオ" in result["explanation"]


def test_classify_takes_the_text_as_its_argument():
    done = talkwatch("classify", "茂木外相はルビオ国務長官と電話会談した", "--published", "2025-11-05")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ministerial")
    assert "茂木外相 + ルビオ国務長官 + 電話会談" in done.stdout


def test_classify_still_reads_a_file_and_stdin_for_a_dash(tmp_path: Path):
    page = tmp_path / "article.txt"
    page.write_text("茂木外相、ルビオ国務長官と電話会談\n両氏は同盟強化で一致した。", encoding="utf-8")
    from_file = talkwatch("classify", str(page), "--published", "2025-11-05", "--json")
    from_stdin = talkwatch("classify", "-", "--published", "2025-11-05", "--json",
                           stdin=page.read_text(encoding="utf-8"))
    assert json.loads(from_file.stdout)["label"] == json.loads(from_stdin.stdout)["label"] == "ministerial"
    assert json.loads(from_file.stdout)["event"]["participants"] == ["motegi", "rubio"]


def test_classify_leaves_other_pairs_alone():
    text = "日豪外相が会談\n茂木敏充外相は5日、オーストラリアのウォン外相と会談した。"
    done = talkwatch("classify", "--published", "2025-11-05", stdin=text)
    assert done.stdout.startswith("other")


def test_eval_topics_json_has_items_and_per_label_figures():
    done = talkwatch("eval-topics", str(TOPIC_DIR / "labelled.jsonl"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    items = result["items"]
    assert items and {"id", "label", "thread"} <= set(items[0])
    assert {"precision", "recall", "f1"} <= set(result["labels"]["ministerial"])


def test_eval_topics_text_lists_misclassifications_and_the_matrix():
    done = talkwatch("eval-topics", str(TOPIC_DIR / "labelled.jsonl"))
    assert "precision" in done.stdout and "confusion" in done.stdout and "misclassified" in done.stdout


def test_eval_topics_names_the_bad_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x", "label": "ministerial"}\nnot json\n', encoding="utf-8")
    done = talkwatch("eval-topics", str(bad))
    assert done.returncode == 2
    assert ":2" in done.stderr


def test_help_loads_no_crawler_or_database_code():
    # `talkwatch --help` must answer at once: only the chosen command's module is imported
    code = ("import sys, contextlib, io\nfrom crawler.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['--help'])\n"
            "print(sorted(m for m in ('scrapy', 'sqlalchemy', 'alembic', 'yaml') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_help_lists_every_command():
    from crawler.cli import COMMANDS

    done = talkwatch("--help")
    assert all(name in done.stdout for name in COMMANDS)


def test_version():
    done = talkwatch("--version")
    assert done.returncode == 0 and done.stdout.startswith("talkwatch 0.")


def _commands() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    from crawler.cli import build_parser

    parser = build_parser()  # every command's module, with all its arguments
    return parser, next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_every_command_option_and_argument_has_help_with_its_default():
    from crawler.cli import COMMANDS

    parser, sub = _commands()
    assert set(sub.choices) == set(COMMANDS)
    lines = {choice.dest: choice.help or "" for choice in sub._choices_actions}
    faults = []
    for name, command in [("talkwatch", parser), *sub.choices.items()]:
        command.format_help()  # every %(default)s and %(choices)s renders
        if name != "talkwatch" and not (lines.get(name) and "\n" not in lines[name] and command.description):
            faults.append(f"{name}: no one-line help and description")
        for action in command._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            label = f"{name} {'/'.join(action.option_strings) or action.dest}"
            if not action.help or action.help == argparse.SUPPRESS:
                faults.append(f"{label}: no help")
            elif action.nargs != 0 and not action.required and "default" not in action.help:
                faults.append(f"{label}: the help does not say what happens without it (its default)")
    assert faults == []


def test_status_reads_the_monitors_jobs_without_loading_the_monitor():
    from crawler.cli import status
    from crawler.service import scheduler
    from crawler.service.config import parse_config

    assert status.JOBS_TABLE == scheduler.JOBS_TABLE
    for raw in ({}, {"revisit": {"enabled": False}, "outlets": {"nhk": {"enabled": False}}}):
        config = parse_config(raw)
        assert status.configured_jobs(config) == set(scheduler.desired_jobs(config))


def test_status_loads_neither_the_crawler_nor_the_orm(tmp_path: Path):
    # the everyday answer: a database at the newest schema, read without the crawler, the migrations or
    # the ORM repositories (the run log and the fetch log are plain Core)
    db = f"sqlite:///{tmp_path / 'status.sqlite3'}"
    assert talkwatch("db", "upgrade", "--db", db).returncode == 0
    code = ("import sys, contextlib, io\nfrom crawler.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['status', '--db', {db!r}])\n"
            "print(sorted(m for m in ('scrapy', 'twisted', 'alembic', 'apscheduler', 'apprise',"
            " 'trafilatura', 'lxml', 'yaml', 'flask', 'numpy', 'sqlalchemy.orm', 'storage.models',"
            " 'storage.store') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
