"""tap-gmail: a Singer tap for the Gmail API, built on lorchestra's `tap_common`.

One stream, `messages`: the account's messages outside Spam and Trash (the tap never sends
`includeSpamTrash`, so users.messages.list leaves those out; sent mail, drafts and chats are
in unless `label_ids` or `query` narrow it), exactly as users.messages.get (format=full) returns
them, oldest first, over the window [start_date, end_date) of internalDate (see `streams`).
"""

from tap_gmail.tap import TapGmail

__all__ = ["TapGmail"]
__version__ = "0.1.0"
