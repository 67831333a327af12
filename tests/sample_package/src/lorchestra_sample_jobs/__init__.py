"""A sample lorchestra job package."""
