"""Named queries of the example package: the ``.sql`` files here."""
