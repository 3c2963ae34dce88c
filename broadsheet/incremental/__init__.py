"""Reuse between builds: the build cache (``cache``) and the live preview's updates (``preview``)."""
