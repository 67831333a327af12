"""Mail parsing shared by the email transforms: header parsing (addresses, message ids, encoded
words, importance), MIME walking for Gmail ``format=full`` part trees and for RFC 5322 messages
parsed with the stdlib ``email`` package, charset decoding and HTML-to-text for previews.
Everything here tolerates malformed input and returns less rather than raising.
"""

from canonizer.mail._headers import (
    Headers,
    decode_unstructured,
    importance,
    message_ids,
    parse_addresses,
    parse_content_disposition,
    parse_content_type,
)
from canonizer.mail._mime import Leaf, MailContent, classify, gmail_leaves, message_leaves
from canonizer.mail._text import (
    decode_base64url,
    decode_text,
    html_to_text,
    make_preview,
    normalize_newlines,
)

__all__ = [
    "Headers",
    "Leaf",
    "MailContent",
    "classify",
    "decode_base64url",
    "decode_text",
    "decode_unstructured",
    "gmail_leaves",
    "html_to_text",
    "importance",
    "make_preview",
    "message_ids",
    "message_leaves",
    "normalize_newlines",
    "parse_addresses",
    "parse_content_disposition",
    "parse_content_type",
]
