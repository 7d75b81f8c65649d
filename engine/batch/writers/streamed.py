"""What every writer that writes each frame as it comes shares: no layout of its own, nothing gathered, a second
side written to files of its own beside it (the run opens them)."""

from __future__ import annotations

from typing import Any


class Streamed:
    own_layout: str | None = None
    gathers = False
    holds_sides = False

    def begin(self, setting: Any) -> None:
        """(Nothing to be told before the first frame.)"""

    def gather(self, piece: Any) -> None:
        raise TypeError("this format is written frame by frame (write), it gathers nothing")

    def conclude(self, summary: Any, receipt: dict[str, str], other: Any) -> None:
        """(The summary is the run's own file.)"""
