"""What comes in, made safe once at the boundary: ids and text from any platform.

Every id a person can type or a button can carry (`rate 99999999999999999999`, a forged
button value) is parsed here and bounded to the database's integer range, so a lookup
never overflows (Python's OverflowError on SQLite, DataError on PostgreSQL); an id out of
range simply finds nothing. Every text field of an inbound event loses NUL and the other
C0 control characters except newline and tab, because PostgreSQL refuses NUL in text
(the answer would vanish with a DataError) and control codes are never meant as writing.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from typing import TypeVar

MAX_ID = 2_147_483_647  # PostgreSQL INTEGER, the type of every primary key
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 and DEL, except \t (09) and \n (0a)

E = TypeVar("E")


def parse_id(value: object) -> int | None:
    """A positive database id from text ("12", " #12 "), or None when it isn't one or is out of range."""
    text = str(value if value is not None else "").strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def clean_text(text: str) -> str:
    """Text with Windows/Mac line ends made '\\n' and every other control character removed."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _clean(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _clean(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _clean(getattr(value, f.name)) for f in fields(value)})
    return value


def clean_event(event: E) -> E:
    """The event with every string in it (ids, names, text, form values and meta) cleaned."""
    return _clean(event)  # type: ignore[return-value]
