"""Keeping the index: the indexer, the indexing record (local or on a Chroma server), the vector store, the keyword
index and how processes share them."""
