"""NHK: the 政治, 国際 and 経済 RSS feeds; new-site bodies stay teasers (consent is never automated)."""

from crawler.spiders.base import OutletSpider


class NhkSpider(OutletSpider):
    name = "nhk"
    outlet_name = "nhk"
