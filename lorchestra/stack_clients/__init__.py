"""Clients jobs use to write to the warehouse; ``event_client`` is the only write path."""
