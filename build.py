#!/usr/bin/env python3
"""A thin wrapper kept for habit: ``python build.py [build|serve|new|...]`` is ``broadsheet``. See README.md.

Run from this folder, ``python -m build`` would import this file rather than PyPA's ``build``
(the current folder comes first on ``sys.path``): that case hands over to PyPA's build.
"""

import os
import sys


def _hand_over_to_pypa_build() -> None:
    """Run PyPA's ``build`` as ``python -m build`` meant, with this folder off the import path."""
    import runpy

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    sys.modules.pop("build", None)
    try:
        runpy.run_module("build", run_name="__main__", alter_sys=True)
    except ImportError:
        print(
            "error: 'python -m build' runs PyPA's build, which is not installed here (pip install build).\n"
            "Broadsheet's own command is 'broadsheet' (or 'python build.py').",
            file=sys.stderr,
        )
        sys.exit(2)


if __name__ == "__main__":
    if __spec__ is not None and __spec__.name == "build":
        _hand_over_to_pypa_build()
    else:
        try:
            from broadsheet.cli import run
        except KeyboardInterrupt:  # Ctrl+C while starting: nothing was done yet
            print("Interrupted; the previous output is left as it was.", file=sys.stderr)
            sys.exit(130)
        run()
