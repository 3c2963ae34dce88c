"""Rendering: the site's views for templates, the page plan, and the Jinja theme that turns them into bytes."""
