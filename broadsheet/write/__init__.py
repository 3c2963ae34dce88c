"""Output files → disk: the staged, journaled commit of a build (see ``commit``)."""
