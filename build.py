#!/usr/bin/env python3
"""Broadsheet's command line: ``python build.py [build|serve|new|...]``. See README.md."""

import sys

try:
    from broadsheet.cli import run
except KeyboardInterrupt:  # Ctrl-C while the modules load: nothing was started yet
    print("Interrupted; the previous output is left as it was.", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    run()
