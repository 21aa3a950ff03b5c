from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection

from tinhso.notifications.delivery import DeliveryReport, deliver_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Gửi các tin nhắn, thư đến hạn trong hộp thư đi / deliver the outbox's due messages. Runs until "
        "SIGTERM or Ctrl-C (the batch in hand is finished first); --once runs one batch and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one batch, then exit")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds to wait when nothing is due (default 5)"
        )
        parser.add_argument("--batch", type=int, default=100, help="messages claimed at a time (default 100)")

    def handle(self, *args: Any, **options: Any) -> None:
        batch: int = options["batch"]
        if batch < 1 or options["interval"] <= 0:
            raise CommandError("--batch must be at least 1 and --interval more than 0")
        if options["once"]:
            self.stdout.write(str(deliver_due(batch=batch)))
            return

        stop = threading.Event()
        previous = self._install_handlers(stop)
        self.stdout.write(f"Delivering notifications every {options['interval']} s; SIGTERM or Ctrl-C stops.")
        try:
            while not stop.is_set():
                _close_stale_connections()
                try:
                    report = deliver_due(batch=batch)
                except DatabaseError:
                    # The database restarting or failing over: wait and try again rather than exit. A
                    # claim that did not commit claimed nothing; one that did is taken over after its lease.
                    logger.exception(
                        "outbox delivery: database error; trying again in %s s", options["interval"]
                    )
                    report = DeliveryReport()
                if report.claimed:
                    self.stdout.write(str(report))
                if report.claimed < batch:  # a full batch means more may be due: go on at once
                    stop.wait(options["interval"])
        finally:
            _close_stale_connections()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Stopped.")

    @staticmethod
    def _install_handlers(stop: threading.Event) -> dict[int, Any]:
        # The handler only sets the flag: the batch in hand finishes and its outcomes are recorded.
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda s, f: stop.set())
        return previous


def _close_stale_connections() -> None:
    """A long-running process: drop connections the database or CONN_MAX_AGE has ended, as Django does
    between requests. Not inside a transaction (a test's), which closing would break."""
    if not connection.in_atomic_block:
        close_old_connections()
