"""Counts in sentences: ``1 incident``, ``3 incidents``, ``1 row has``, ``2 rows have``.

Every layer writes sentences for people (the ingest notes, the command's summaries, the
reports), so the rule lives here, below them all.
"""

from __future__ import annotations

import re


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun that agrees with it: ``1 incident``, ``0 incidents``,
    ``2 categories`` (with ``plural_form``)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def verb(count: int, singular: str, plural_form: str) -> str:
    """The verb that agrees with ``count``: ``verb(1, "has", "have")`` is ``has``."""
    return singular if count == 1 else plural_form


_MARKDOWN = re.compile(r"([\\`*_\[\]])|<(?=[A-Za-z/!?])")


def markdown_text(text: str) -> str:
    """``text`` (plain, possibly from a user's names or an export) safe inside Markdown:
    every character that could start emphasis, code, a link or an image is backslash-escaped,
    and ``<`` before a tag name too (raw HTML), so a name pasted into chat or a wiki shows as
    typed and never becomes an image that calls out or a script. ``q < 0.001`` is unchanged."""
    return _MARKDOWN.sub(lambda m: "\\" + (m[1] or "<"), text)
