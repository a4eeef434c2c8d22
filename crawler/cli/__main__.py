"""``python -m crawler.cli`` runs the ``talkwatch`` command."""

from crawler.cli import main

raise SystemExit(main())
