"""Related articles: the index that ranks each article's related list (see ``index``)."""
