"""Plans: what the provider sells (fees, allowances, rates, SLA targets)."""
