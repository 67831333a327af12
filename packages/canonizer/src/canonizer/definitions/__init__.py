"""Job definitions and the daily-canonize pipeline, registered for lorchestra to load."""
