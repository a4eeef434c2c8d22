"""The local mirror: a loopback HTTP server that serves captured pages with real HTTP behaviour.

Site data lives in a folder with one sub-folder per outlet, each holding a ``routes.yaml``
and the pages it names. ``crawler/mirror/site/`` is the project's own (its fixture pages, also
used by the demo and the tests). A ``routes.yaml`` is a list of entries, later entries winning::

    - url: https://www.mofa.go.jp/mofaj/press/release/index.html   # the real outlet URL
      file: press_release_index.html        # relative to routes.yaml
      content_type: text/html; charset=utf-8 # default from the file's extension (UTF-8)
      status: 200                             # default 200 (or 301 with redirect)
      redirect: https://...                   # answer with Location: this URL
      headers: {Retry-After: "5"}             # extra response headers
      since: 2                                # first scenario state it is served in (default 1)
      until: 1                                # last scenario state it is served in (default: all)

Requests reach the mirror as ``http://127.0.0.1:PORT/<scheme>/<host><path>?<query>``;
see :func:`crawler.mirror.routing.mirror_url`.
"""

from pathlib import Path

SITE_DIR = Path(__file__).parent / "site"
