"""jiji.com: the 政治, 国際 and 新着 listing pages."""

from crawler.spiders.base import OutletSpider


class JijiSpider(OutletSpider):
    name = "jiji"
    outlet_name = "jiji"
