"""tap-msgraph-mail: a Singer tap for Microsoft Graph mail, built on lorchestra's `tap_common`.

One stream, `messages`: a mailbox's messages in every folder (Graph's `/messages`, which
includes Drafts and Deleted Items), or with `mail_folder_id` one folder's own messages (not its
child folders'), exactly as Graph lists them, oldest first, over the window [start_date,
end_date) of receivedDateTime (see `streams`).
"""

from tap_msgraph_mail.tap import TapMSGraphMail

__all__ = ["TapMSGraphMail"]
__version__ = "0.1.0"
