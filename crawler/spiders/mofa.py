"""MOFA (外務省): Japanese press releases, the US country page and English press releases."""

from crawler.spiders.base import OutletSpider


class MofaSpider(OutletSpider):
    name = "mofa"
    outlet_name = "mofa"
