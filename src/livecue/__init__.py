"""livecue: a local, real-time call coach."""

__version__ = "0.1.0"
