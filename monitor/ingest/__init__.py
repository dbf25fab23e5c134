"""Outlets in: safe fetching, feed parsing, article extraction, the seed manifest."""
