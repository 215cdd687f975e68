"""Innspill: a county's integration survey, consultation and settlement recommendation."""
