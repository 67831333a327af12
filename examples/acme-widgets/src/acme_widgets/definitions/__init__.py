"""Job definitions of the example package, and its stage of ``daily``: the ``.json`` files here."""
