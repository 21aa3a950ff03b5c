"""Starting and stopping a stand-in of an outside system as a real process, for tests and demos.

A stand-in (`python -m tinhso.notifications.sms_standin`, `python -m tinhso.accounts.oidc_standin`) is
started with `--port 0`: the OS picks a free port and the process's first line announces it
("… listening on http://127.0.0.1:PORT…"), so there is no window between finding a port and binding it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def standin_start(module: str, *args: str, name: str) -> tuple[subprocess.Popen[str], str]:
    """Run `python -m <module> --port 0 <args>` and return the process and the address it announced."""
    process = subprocess.Popen(  # noqa: S603 — our own module, run by this interpreter
        [sys.executable, "-m", module, "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        raise RuntimeError(f"{name} did not start: {line!r}")
    return process, line.split("listening on ", 1)[1].strip()


def standin_stop(process: subprocess.Popen[str]) -> None:
    """Terminate the process, killing it if it does not end within 5 seconds."""
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
