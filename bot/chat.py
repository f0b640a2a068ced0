"""What a message someone types to sensebot means: a command, chat, or an answer.

The rule (DESIGN.md, "What counts as an answer"), for a direct message or a reply in a
round's thread:

- **A command**: a direct message whose first word is a command name (`help`, `today`,
  `drill design`, `/results`, `!streak`) runs that command — if it is one line of at most
  `COMMAND_WORDS` words; `answer <text>` is a command at any length, because it says "save".
- **Chat**: fewer than `SHORT_WORDS` words ("hi", "thanks!", "is the deadline 17:00?"), or a
  question — ending with '?' — of fewer than `QUESTION_WORDS` words. Chat is never saved on
  its own: the author gets a private "Save this as your answer? [Save] [No]" (or replies
  `save` / `no`).
- **An answer**: everything else — a substantial reply is saved at once, as before.
"""
from __future__ import annotations

import re

SHORT_WORDS = 12
QUESTION_WORDS = 40
COMMAND_WORDS = 12
YES = frozenset({"save", "yes", "y", "save it"})
NO = frozenset({"no", "n", "don't save", "dont save", "discard"})

_WORD = re.compile(r"\S+")


def words(text: str) -> int:
    return len(_WORD.findall(text))


def as_command(text: str, commands: frozenset[str], prefix: str = "") -> tuple[str, tuple[str, ...]] | None:
    """(name, args) when the message is a command by the rule above, else None."""
    parts = text.split()
    if not parts:
        return None
    first = parts[0].lower()
    for mark in ("/", prefix):
        if mark and first.startswith(mark):
            first = first[len(mark):]
    if first not in commands:
        return None
    if first != "answer" and ("\n" in text.strip() or len(parts) > COMMAND_WORDS):
        return None
    return first, tuple(parts[1:])


def is_chat(text: str) -> bool:
    """Short or a question: not to be stored as an answer without its author's say-so."""
    n = words(text)
    return n < SHORT_WORDS or (text.rstrip().endswith("?") and n < QUESTION_WORDS)


def reply_word(text: str) -> str:
    """A one-word reply to "Save this as your answer?", normalised ('Save!' -> 'save')."""
    return text.strip().strip(".!").lower()
