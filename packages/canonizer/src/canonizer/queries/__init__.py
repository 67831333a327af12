"""Named queries over the canonical tables (``lorchestra query NAME``): the ``.sql`` files here."""
