"""Dataverse transforms: contacts (JSONata) and clinical sessions with their documents (Python)."""
