"""Job definitions and the daily-form pipeline, registered for lorchestra to load."""
