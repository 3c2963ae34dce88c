#!/usr/bin/env python3
"""Broadsheet's command line: ``python build.py [build|serve|new|...]``. See README.md."""

from broadsheet.cli import run

if __name__ == "__main__":
    run()
