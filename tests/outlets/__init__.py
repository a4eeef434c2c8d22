"""Page parser tests, one fixture page per module, one test per field."""
