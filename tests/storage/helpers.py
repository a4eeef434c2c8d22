"""Article texts for the storage tests (invented text about US–Japan ministerial talks)."""

from __future__ import annotations

from storage.versions import ArticleText


def text(body: list[str], title: str = "日米外相会談", key: str = "pageit_000001_01515",
         outlet: str = "mofa", lead: str | None = None, published: str = "2025-01-21T12:00:00+09:00",
         kind: str = "article") -> ArticleText:
    return ArticleText(outlet=outlet, stable_key=key, canonical_url=f"https://example.test/{outlet}/{key}",
                       url=f"https://example.test/{outlet}/{key}", title=title, published=published,
                       modified=None, description=lead, paragraphs=body, lang="ja", body_complete=True,
                       sources={"title": "dom"}, kind=kind)


STORY = [
    "岩屋毅外相は２１日、ワシントンでルビオ米国務長官と初めて会談した。",
    "両氏は日米同盟を一層強化していくことで一致し、中国の海洋進出や北朝鮮の核・ミサイル開発への対応で緊密に連携する方針を確認した。",
    "岩屋氏は会談後、記者団に「率直で有意義な意見交換ができた」と述べた。",
    "ルビオ氏は、日本の防衛費増額に向けた取り組みを評価した上で、地域の抑止力強化に向けた協力を求めた。",
    "両外相は、近く外務・防衛担当閣僚による「2プラス2」を開催する方向で調整することでも合意した。",
    "会談は約４０分間行われ、経済安全保障や関税措置を巡っても意見を交わした。",
]
