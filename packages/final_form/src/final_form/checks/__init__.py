"""Data checks final_form contributes to ``lorchestra check``: the ``.sql`` files beside this
module (registered under the ``lorchestra.checks`` entry-point group)."""
