"""NHK: the 政治, 国際 and 経済 RSS feeds; article bodies of the new site stay teasers (no consent automation)."""

from crawler.spiders.base import OutletSpider


class NhkSpider(OutletSpider):
    name = "nhk"
    outlet_name = "nhk"
