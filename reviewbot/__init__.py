"""ReviewBot: the command line and the few types every room shares."""

__version__ = "0.1.0"
