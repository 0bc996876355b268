"""Taxonomy, records, label store, coder review and reconciliation."""
