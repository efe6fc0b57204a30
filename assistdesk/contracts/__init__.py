"""Contracts binding customers to plans, and the allowance ledgers."""
