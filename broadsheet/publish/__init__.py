"""Publishing files beside the pages: feeds, sitemaps, the search index, image facts and the link check."""
