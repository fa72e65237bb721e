"""Translate SQLite / SQLAlchemy / OS failures into ``AssistantError`` with a stable store code."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import exc as sa_exc

from contracts.messages import AssistantError, ErrorCode

__all__ = ["store_error", "translate_errors"]

_LOCKED = ("database is locked", "database table is locked", "database schema is locked")
_FULL = ("database or disk is full", "disk is full")
_CORRUPT = ("file is not a database", "database disk image is malformed", "file is encrypted")


def store_error(error: BaseException, path: Path) -> AssistantError:
    """The ``AssistantError`` a low-level database or file-system error means for the user."""
    if isinstance(error, AssistantError):
        return error
    original = error.orig if isinstance(error, sa_exc.DBAPIError) and error.orig is not None else error
    text = str(original).lower()
    details = {"path": str(path), "cause": str(original)}
    if any(s in text for s in _LOCKED):
        return AssistantError(
            ErrorCode.STORE_LOCKED,
            f"The database {path} is locked by another program (another assistant process?). "
            "Close it or try again in a moment.",
            details=details,
        )
    if any(s in text for s in _FULL):
        return AssistantError(
            ErrorCode.STORE_FULL,
            f"The database {path} is full (no space left on the disk or the size limit was reached). "
            "Free some space or delete old conversations.",
            details=details,
        )
    if any(s in text for s in _CORRUPT):
        return AssistantError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The file {path} is not a valid assistant database (corrupt or another kind of file). "
            "Move it away and the assistant will create a new one.",
            details=details,
        )
    if isinstance(original, sqlite3.Error | sa_exc.SQLAlchemyError | OSError):
        return AssistantError(
            ErrorCode.STORE_UNAVAILABLE,
            f"The database {path} cannot be used: {original}. Check that the data directory is writable.",
            details=details,
        )
    return AssistantError(ErrorCode.STORE_UNAVAILABLE, f"The database {path} failed: {original}", details=details)


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Re-raise database and file-system errors inside the block as ``AssistantError``."""
    try:
        yield
    except AssistantError:
        raise
    except (sa_exc.SQLAlchemyError, sqlite3.Error, OSError) as error:
        raise store_error(error, path) from error
