"""Job definitions and the daily-projection pipeline, registered for lorchestra to load."""
