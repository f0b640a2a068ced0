"""Secrets stay out of logs: a filter that redacts anything shaped like a Slack token.

Its own module because it changes for one reason only: a new kind of Slack secret.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable


class SlackTokenFilter(logging.Filter):
    """Redacts anything shaped like a Slack token (xoxb-, xoxp-, xapp-...) from log records.

    Settings' secrets are already redacted by bot.config; this also catches tokens that were
    never in the environment, such as the bot tokens of OAuth installs (slack_sdk logs API
    answers at DEBUG, and oauth.v2.access answers with the new token).
    """

    PATTERN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        if self.PATTERN.search(msg):
            record.msg, record.args = self.PATTERN.sub(r"\1-***", msg), None
        return True


def install_log_redaction(handlers: Iterable[logging.Handler] | None = None) -> None:
    """Add the token filter to every root handler (idempotent)."""
    for h in handlers if handlers is not None else logging.getLogger().handlers:
        if not any(isinstance(f, SlackTokenFilter) for f in h.filters):
            h.addFilter(SlackTokenFilter())
