"""The package's version, importable from every layer (the package root imports them all)."""

__version__ = "0.1.0.dev0"
