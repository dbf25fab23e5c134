"""monitor: a streaming news-monitoring daemon for newsrooms."""

__version__ = "0.1.0"
