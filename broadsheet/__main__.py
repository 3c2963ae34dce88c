"""``python -m broadsheet``: the same command line as ``broadsheet``."""

import sys

if __name__ == "__main__":
    try:
        from broadsheet.cli import run
    except KeyboardInterrupt:  # Ctrl+C while starting: nothing was done yet
        print("Interrupted; the previous output is left as it was.", file=sys.stderr)
        sys.exit(130)
    run()
