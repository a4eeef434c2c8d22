"""Failures of the environment (a read-only or full database, a full disk, an unreachable
database server) told in one line that says what to fix, never as a traceback.

``crawler/cli.py`` catches :data:`ENVIRONMENT_ERRORS` and prints :func:`describe_error`.
"""

from __future__ import annotations

import errno

from sqlalchemy.exc import DBAPIError

from crawler.secrets import mask_secrets


class ConfigError(ValueError):
    """Bad configuration: the message names the key and the fix; the CLI exits with code 2."""


ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (DBAPIError, OSError)

_DB_FIX = "check --db / TALKWATCH_DATABASE_URL"


def describe_error(exc: BaseException) -> str:
    """One line: what failed and what to do about it (credentials masked)."""
    if isinstance(exc, DBAPIError):
        detail = str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]
        lowered = detail.lower()
        if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
            message = (f"the database is read-only ({detail}); give talkwatch write access to it, or "
                       f"{_DB_FIX} to point at a writable database")
        elif "disk is full" in lowered or "no space" in lowered or "could not extend" in lowered:
            message = f"the database's disk is full ({detail}); free space, or {_DB_FIX}"
        elif "unable to open database file" in lowered:
            message = (f"cannot open the database file ({detail}); {_DB_FIX}: its folder must exist "
                       "and be writable")
        elif "database" in lowered and "does not exist" in lowered:  # the server answered: no such database
            message = f"the database server has no such database ({detail}); create it, or {_DB_FIX}"
        elif "connection" in lowered or "could not connect" in lowered or "timeout" in lowered:
            message = f"cannot reach the database server ({detail}); is it running? {_DB_FIX}"
        elif "locked" in lowered:
            message = f"the database stayed locked ({detail}); another process holds a long write"
        else:
            message = f"database error: {detail}; {_DB_FIX}"
        return mask_secrets(message)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            target = f" for{where}" if where else ""
            return mask_secrets(f"no space left on the device{target}; free space or write elsewhere")
        if exc.errno in {errno.EROFS, errno.EACCES, errno.EPERM}:
            return mask_secrets(f"cannot write{where}: {exc.strerror}; choose a writable location")
        return mask_secrets(f"cannot use{where}: {exc.strerror or exc}")
    return mask_secrets(str(exc))
