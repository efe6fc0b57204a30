"""Interface: `assistdesk simulate`, driving the real services."""
