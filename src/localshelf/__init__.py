"""localshelf: local inventory discovery over MCP."""

__version__ = "0.1.0"
