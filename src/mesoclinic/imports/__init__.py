"""Importing a clinic from another system's CSV exports: clients, future appointments and
past treatment history (issue 16 item 6; see docs/import.md)."""
