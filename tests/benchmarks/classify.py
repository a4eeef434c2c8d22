"""Classify time against text length: it must grow linearly (twice the text, about twice the time).

``python -m tests.benchmarks.classify [MAX_CHARS]`` prints, for texts of 25 000 characters doubling up to
MAX_CHARS (default 1 600 000), the best of three runs of :func:`crawler.topics.classifier.classify` and the
time per 100 000 characters, for three kinds of text built from the project's own sentences: Japanese news
dense with vocabulary hits (ministers, meetings, forums, other countries, dates), English readouts, and
text with no hit at all. A column of roughly constant "per 100k" figures is linear. Printing only: no
timing is asserted anywhere (the machine is shared).
"""

from __future__ import annotations

import sys
import time

from crawler.topics.classifier import classify

JA = (
    "岩屋外相は21日、ワシントンでルビオ国務長官と会談し、同盟の抑止力強化で一致した。"
    "G7外相会合に合わせ、韓国の趙外交部長官とも会談した。先月の日米2+2の成果も踏まえた。"
    "赤沢経済再生相は来週訪米し、ラトニック商務長官と関税協議に臨む予定だ。"
    "駐日米国大使は外務事務次官を表敬した。中国の王毅外相は日中外相会談で懸念を示した。\n"
)
EN = (
    "Secretary of State Marco Rubio met Japanese Foreign Minister Takeshi Iwaya on the sidelines of the G7 "
    "meeting on March 13, 2025. Secretary of Defense Pete Hegseth held a call with Minister of Defense "
    "NAKATANI Gen. The US-Japan alliance remains strong, a senior State Department official said.\n"
)
PLAIN = "本日の東京株式市場は小幅に反落し、円相場は1ドル=150円前後で推移した。天気は晴れ、気温は平年並み。\n"


def _text(unit: str, chars: int) -> str:
    return (unit * (chars // len(unit) + 1))[:chars]


def _best_of(runs: int, title: str, text: str) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        classify(title, text, published="2025-03-14T09:00:00+09:00")
        best = min(best, time.perf_counter() - start)
    return best


def main(max_chars: int = 1_600_000) -> None:
    classify("日米外相会談", "", published=None)  # load and compile the vocabulary outside the timings
    print(f"{'kind':<6} {'chars':>10} {'seconds':>9} {'per 100k':>9}")
    for kind, unit in (("ja", JA), ("en", EN), ("plain", PLAIN)):
        chars = 25_000
        while chars <= max_chars:
            seconds = _best_of(3 if chars <= 400_000 else 1, "日米外相会談", _text(unit, chars))
            print(f"{kind:<6} {chars:>10} {seconds:>9.3f} {seconds / chars * 100_000:>9.3f}", flush=True)
            chars *= 2


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_600_000)
