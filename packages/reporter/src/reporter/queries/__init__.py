"""Named queries over the reporter's views (``lorchestra query NAME``): the ``.sql`` files here."""
