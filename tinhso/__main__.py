"""The `tinhso` command: Django's manage.py with hyphenated command names.

`tinhso audit-verify` runs the `audit_verify` management command; every other Django command works too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "tinhso"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
