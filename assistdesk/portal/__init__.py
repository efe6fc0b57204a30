"""Interface: the customers' pages."""
