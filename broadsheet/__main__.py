"""``python -m broadsheet``: the same command line as ``broadsheet``."""

from broadsheet.cli import run

if __name__ == "__main__":
    run()
