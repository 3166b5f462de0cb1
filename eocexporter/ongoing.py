"""Logging a failure when it starts or changes, not on every cycle it persists.

A target down for a night would otherwise write thousands of identical lines; one line when it starts,
one if its cause changes, and one when it recovers tell the same story.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping


class OngoingFailures:
    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger
        self._messages: dict[str, str] = {}

    def failed(
        self,
        key: str,
        message: str,
        level: int = logging.WARNING,
        cause: str | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        """Log ``message`` at ``level`` if it is new for ``key``, at DEBUG if it repeats. With ``cause``,
        only a change of cause is new: a failure that names another file each time (the same disk full
        for every file) is one line, not one per file. ``extra``: what the line is about (target,
        collector...), fields of the JSON log format (eocexporter.logs)."""
        seen = cause if cause is not None else message
        changed = self._messages.get(key) != seen
        self._messages[key] = seen
        self._log.log(level if changed else logging.DEBUG, "%s", message, extra=extra)

    def succeeded(self, key: str, message: str, extra: Mapping[str, object] | None = None) -> None:
        """Log ``message`` (at INFO) if ``key`` was failing."""
        if self._messages.pop(key, None) is not None:
            self._log.info("%s", message, extra=extra)

    def any(self) -> bool:
        return bool(self._messages)
