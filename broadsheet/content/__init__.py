"""Content: source files found, front matter read, Markdown rendered, and the site's model assembled.

``discover`` → ``frontmatter`` → ``markdown`` → ``library`` builds
:class:`~broadsheet.content.model.Site` from the parsed documents.
"""
