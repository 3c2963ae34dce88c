"""Jinja2 speed-ups: autoescaped output without a Markup per value, macros called straight away.

Reaches into Jinja2's internals (the compiler's ``_output_child_pre`` hook, ``Context.call``):
used only on the releases listed in :data:`TESTED_ON`, where the tests compare the pages with
plain Jinja's, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, Macro
from jinja2.utils import internalcode
from markupsafe import Markup, escape

#: Jinja2 releases whose compiler and context these classes were written against and tested on.
TESTED_ON = ("3.1.",)


def tested() -> bool:
    """Whether the installed Jinja2 is a release these speed-ups were tested on."""
    return jinja2.__version__.startswith(TESTED_ON)


def escape_output(value: object) -> str:
    """What ``{{ value }}`` writes into an autoescaped page: the text of ``markupsafe.escape(value)``.

    Jinja's own ``escape`` wraps every value it writes in a new Markup, only for the page to join
    them into one string: a few hundred times per page. Plain strings (most values) without a
    character to escape, Markup and integers are returned as their text; the rest goes through
    ``escape``.
    """
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or "'" in value or '"' in value:
            return escape(value)
        return value
    if type(value) is Markup:
        return value
    if type(value) is int:
        return str(value)  # digits and "-" only (bool, a subclass, is left to escape)
    return escape(value)


class OutputCodeGenerator(CodeGenerator):
    """Compiles autoescaped ``{{ ... }}`` to :func:`escape_output` instead of Jinja's ``escape``.

    Only the text of the escaped value matters there: it is joined into the page, a macro's
    or a ``{% set %}`` block's output and never used as a value on its own.
    """

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)  # {% autoescape %} decided while rendering
            return
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)


class SiteContext(Context):
    """A template context that calls a macro straight away.

    ``Context.call`` first asks every callable whether it wants the context, the evaluation
    context or the environment passed in; a macro never does, and themes call one or two per
    story card.
    """

    @internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if type(__obj) is not Macro:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)  # what Context.call would pass to a function that takes the context
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )
