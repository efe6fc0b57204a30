"""Console views: queue, ticket, customer, quarantine, dashboard."""
