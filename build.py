#!/usr/bin/env python3
"""Broadsheet's command line: ``python build.py [build|serve|new|...]``. See README.md."""

import sys

from broadsheet.cli import main

if __name__ == "__main__":
    sys.exit(main())
