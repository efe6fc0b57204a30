"""Interface: the REST API."""
