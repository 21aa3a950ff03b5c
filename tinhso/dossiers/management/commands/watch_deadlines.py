"""`tinhso watch-deadlines [--once] [--interval SECONDS] [--now INSTANT]`: `tinhso.dossiers.watcher`."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection

from tinhso.dossiers.watcher import deadline_scan

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Nhắc hạn hồ sơ / deadline reminders: every --interval seconds, queue reminders of the dossiers due "
        "soon and overdue, of overdue steps, and the warning on the last day to sign Mẫu 04; each is queued "
        "once a day whatever the interval. Runs until SIGTERM or Ctrl-C (the scan in hand is finished "
        "first); --once scans once and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one scan, then exit")
        parser.add_argument(
            "--interval", type=float, default=300.0, help="seconds between scans (default 300)"
        )
        parser.add_argument(
            "--now",
            type=_instant,
            help="with --once: scan as of this instant, e.g. 2026-03-12T10:00+07:00 (a replay, a test)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval: float = options["interval"]
        if interval <= 0:
            raise CommandError("--interval must be more than 0")
        if options["now"] is not None and not options["once"]:
            raise CommandError("--now needs --once: a loop scans the present")
        if options["once"]:
            self.stdout.write(str(deadline_scan(now=options["now"])))
            return

        stop = threading.Event()
        previous = self._install_handlers(stop)
        self.stdout.write(f"Watching deadlines every {interval:g} s; SIGTERM or Ctrl-C stops.")
        try:
            while not stop.is_set():
                _close_stale_connections()
                try:
                    self.stdout.write(str(deadline_scan()))
                except DatabaseError:
                    # The database restarting or failing over: try again at the next round rather than
                    # exit. A batch that did not commit queued nothing; the next scan queues it.
                    logger.exception("deadline watcher: database error; trying again in %s s", interval)
                self.stdout.flush()
                stop.wait(interval)
        finally:
            _close_stale_connections()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Stopped.")

    @staticmethod
    def _install_handlers(stop: threading.Event) -> dict[int, Any]:
        # The handler only sets the flag: the scan in hand finishes (each batch is its own transaction).
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda s, f: stop.set())
        return previous


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not an instant like 2026-03-12T10:00+07:00") from exc
    if value.tzinfo is None:
        raise CommandError(f"{text!r} has no UTC offset: write it like 2026-03-12T10:00+07:00")
    return value


def _close_stale_connections() -> None:
    """A long-running process: drop connections the database or CONN_MAX_AGE has ended, as Django does
    between requests. Not inside a transaction (a test's), which closing would break."""
    if not connection.in_atomic_block:
        close_old_connections()
