"""Time as the axis of news: the day each sentence speaks about, the time window a question asks for, and
timelines built from the articles' own sentences."""
