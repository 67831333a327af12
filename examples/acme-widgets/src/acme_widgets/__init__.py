"""acme-widgets: an example lorchestra package (a table, a job, a query and a daily step)."""
