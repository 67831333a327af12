"""lorc's own jobs at the event boundary (entry-point group ``lorchestra.jobs.ingester``)."""
