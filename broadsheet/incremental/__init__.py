"""Reuse between builds: what the build cache keeps, and the fingerprints that say when it holds (``cache``)."""
