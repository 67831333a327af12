"""Jobs the core tests register in-process (through fake entry points)."""
