"""The build's stages, one module each; :func:`broadsheet.pipeline.build` runs them in order.

``load`` (with ``rank``) → ``render`` → ``publish`` (feeds and sitemaps; facts, search, links) →
``remember``; ``types`` holds what they pass along, ``running`` times them. A stage module imports
``types`` and the stage modules it calls, never pipeline.py (which imports them all).
"""
