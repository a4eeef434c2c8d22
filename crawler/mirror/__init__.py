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

Fault behaviours (``crawler/mirror/faults/`` is a site made of them; ``talkwatch selftest faults``
crawls it)::

      fault: reset        # drop the connection with a TCP reset before answering
      fault: timeout      # say nothing for ``delay`` seconds (default 10), then reset
      fault: truncate     # promise the whole body in Content-Length, send half, hang up
      fault: slow         # wait ``delay`` seconds (default 1), then answer normally
      delay: 0.5          # seconds for timeout / slow
      times: 1            # this entry answers only the first N requests of its URL; later
                          # ones get the entry before it (a retry succeeds); default: all
      generate_bytes: 10485760  # a body of exactly N bytes (an HTML page padded with "x"),
                                # streamed in chunks, never held in memory; never gzipped
      encoding: shift_jis # the file (UTF-8 on disk) is re-encoded in this charset when served
                          # (shift_jis, cp932, euc_jp, iso2022_jp...); the Content-Type then
                          # declares it unless ``content_type`` is given (``text/html`` = undeclared)

A 5xx with ``Retry-After`` is an ordinary entry (``status: 503``, ``headers: {Retry-After: "1"}``);
put it after the page's entry with ``times: 1`` and the retry gets the page.

Requests reach the mirror as ``http://127.0.0.1:PORT/<scheme>/<host><path>?<query>``;
see :func:`crawler.mirror.routing.mirror_url`.
"""

from pathlib import Path

SITE_DIR = Path(__file__).parent / "site"
FAULTS_DIR = Path(__file__).parent / "faults"  # the fault-scenario site (not the demo site)
