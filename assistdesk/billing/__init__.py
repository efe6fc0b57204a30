"""Billing periods, invoices, exchange rates and statements."""
