"""tap-dataverse: a Singer tap for the Dataverse Web API, built on lorchestra's `tap_common`.

One stream per configured entity set (`entity_sets`): its rows exactly as the Web API returns
them (the configured `select` columns, else all; active and inactive rows alike, no `statecode`
filter), oldest first, over the window [start_date, end_date) of modifiedon (see `streams`).
"""

from tap_dataverse.tap import TapDataverse

__all__ = ["TapDataverse"]
__version__ = "0.1.0"
