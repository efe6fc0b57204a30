"""Shared base models, the clock, the scheduler and operations endpoints."""
