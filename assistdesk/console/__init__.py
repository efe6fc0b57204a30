"""Interface: the help desk's pages."""
