"""The sentence embedding model: which backend a setting asks for, the packaged model, token alignment."""
