"""Reuters Japan: the paged news sitemap; DataDome answers are recorded as blocks."""

from crawler.spiders.base import OutletSpider


class ReutersSpider(OutletSpider):
    name = "reuters"
    outlet_name = "reuters"
