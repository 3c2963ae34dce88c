"""Speed-ups that reach into libraries' private internals, fenced off here.

Everything in Broadsheet that depends on how Python-Markdown or Jinja2 work inside (name-mangled
methods, classes swapped on live objects, private compiler hooks) lives in this package:

* :mod:`.markdown_inline` and :mod:`.markdown_blocks`: Python-Markdown's inline and block stages
  skipping the patterns and tests a text cannot match;
* :mod:`.jinja`: autoescaped output written without a ``Markup`` per value, and macros called
  without Jinja's checks for what they never ask for.

Each is used only on the library releases it was tested on, and all are switched off by setting
the environment variable ``BROADSHEET_SPEEDUPS=off`` (then, as on any other release, the
libraries' public paths run). Either way the output is the same, byte for byte: the differential
tests (``tests/test_speedups.py`` and the tests of each module) build with and without them.
"""

from __future__ import annotations

import os

#: The environment variable that switches the speed-ups off (``off``, ``0``, ``no`` or ``false``).
ENVIRONMENT = "BROADSHEET_SPEEDUPS"
_OFF = frozenset({"off", "0", "no", "false"})


def enabled() -> bool:
    """Whether the speed-ups are switched on (the default)."""
    return os.environ.get(ENVIRONMENT, "").strip().lower() not in _OFF


def markdown_on() -> bool:
    """Whether Markdown is converted with the speed-ups: switched on, and tested on this release."""
    from . import markdown_inline

    return enabled() and markdown_inline.tested()


def jinja_on() -> bool:
    """Whether templates are compiled and run with the speed-ups: switched on, and tested on this release."""
    from . import jinja

    return enabled() and jinja.tested()


def state() -> str:
    """Which speed-ups are in use, for cache keys: output is the same either way, but compiled
    templates and converters differ."""
    return f"speedups:markdown={markdown_on()},jinja={jinja_on()}"
