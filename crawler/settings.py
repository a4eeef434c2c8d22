"""Scrapy settings for talkwatch. Live outlet URLs are the defaults; set
``TALKWATCH_MIRROR_URL`` (setting or environment) to crawl the local mirror instead."""

import os

BOT_NAME = "talkwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- talkwatch ---------------------------------------------------------------------------
TALKWATCH_DATABASE_URL = os.environ.get("TALKWATCH_DATABASE_URL", "")  # empty: the embedded SQLite file
TALKWATCH_MIRROR_URL = os.environ.get("TALKWATCH_MIRROR_URL", "")
TALKWATCH_CONTACT_URL = os.environ.get("TALKWATCH_CONTACT_URL", "https://github.com/talkwatch/talkwatch")
TALKWATCH_RUN_ID = os.environ.get("TALKWATCH_RUN_ID", "")
# stop a crawl after this many bot-wall answers in a row (the rest waits for the next run)
TALKWATCH_MAX_CONSECUTIVE_BLOCKS = 3

# --- politeness -----------------------------------------------------------------------------
USER_AGENT = f"talkwatch/0.1 (+{TALKWATCH_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
# the pace (delay, AutoThrottle, per-domain concurrency) and the mirror's download handler are set together
# by crawler.mirror.addon.MirrorAddon, from the final TALKWATCH_MIRROR_URL
ADDONS = {"crawler.mirror.addon.MirrorAddon": 0}
# live sites through Scrapy's Twisted HTTP/1.1 handler, the one the mirror's handler extends: live crawls
# meet the same size caps, cancellations and error types the fault matrix exercises
DOWNLOAD_HANDLERS = {
    "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    "https": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
}
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # no news page is this big; refuse rather than buffer
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = os.environ.get("TALKWATCH_LOG_LEVEL", "INFO")
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

DOWNLOADER_MIDDLEWARES = {
    # before robots.txt (100): a request off the outlet's hosts must not even ask that host's robots.txt
    "crawler.middlewares.redirects.OffHostRequestMiddleware": 50,
    "crawler.middlewares.retry.RetryAfterMiddleware": 555,  # waits out Retry-After before Scrapy's retry
    "crawler.middlewares.conditional.ConditionalGetMiddleware": 570,
    "crawler.middlewares.fetchlog.FetchLogMiddleware": 580,
    "crawler.middlewares.charset.CharsetMiddleware": 585,  # after decompression (590)
    # Scrapy's decompression, recording what it refuses (a gzip bomb) in the fetch log
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.compression.RecordedHttpCompressionMiddleware": 590,
    "crawler.middlewares.redirects.RedirectPolicyMiddleware": 610,  # decides before Scrapy's redirect
}
TALKWATCH_RETRY_AFTER_MAX = 60  # seconds; a longer Retry-After waits for the next run

ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidatePipeline": 100,
    "crawler.pipelines.canonicalize.CanonicalizePipeline": 200,
    "crawler.pipelines.dedupe.DedupePipeline": 300,
    "crawler.pipelines.version.VersionPipeline": 400,
    "crawler.pipelines.flag.FlagPipeline": 500,
}

EXTENSIONS = {
    # the crawl's Store and run id, found by every component through crawler.get_extension
    "crawler.runtime.CrawlRuntime": 0,
    "crawler.extensions.StopWithParent": 50,
    "crawler.extensions.RunLog": 400,
    "crawler.extensions.StatsFile": 500,
}
TALKWATCH_STATS_FILE = ""
