"""The default model's name, importable without importing torch (settings and the CLI need it)."""

PACKAGED_MODEL = "multilingual-e5-small"
