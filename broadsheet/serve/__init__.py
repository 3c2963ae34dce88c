"""Live preview: ``broadsheet serve``.

* :mod:`.watch`: watchdog events, filtered and gathered into batches;
* :mod:`.preview`: the site in memory, updated file by file;
* :mod:`.server`: the tornado application, livereload's websocket, the safety checks;
* :mod:`.overlay`: the error view shown while the site does not build;
* :mod:`.session`: the threads that tie these together.
"""

from __future__ import annotations

from .session import Notice, PreviewSession, ServeOptions

__all__ = ["Notice", "PreviewSession", "ServeOptions"]
