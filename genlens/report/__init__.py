"""Self-contained HTML reports (images embedded) with a JSON twin."""
