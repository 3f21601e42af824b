"""Stories: arriving articles grouped into stories, who reported what, what is new, and where outlets differ."""
