#!/usr/bin/env python
"""Django's command-line utility; `tinhso` (installed by uv) is the same with hyphenated names."""

from tinhso.__main__ import main

if __name__ == "__main__":
    main()
