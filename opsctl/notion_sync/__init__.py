"""Notion, the other way: edits people make to opsctl's pages are read back into the ledger."""
