"""Innspill analysis: integration parameters, Norwegian free text, themes and needs (no web imports)."""
