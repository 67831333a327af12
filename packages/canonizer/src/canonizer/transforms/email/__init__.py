"""Email transforms: Gmail (format=full and format=raw) and Microsoft Graph to JMAP Lite."""
