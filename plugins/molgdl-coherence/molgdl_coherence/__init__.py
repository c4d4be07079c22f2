"""Gradient coherence diagnostics and robust gradient aggregation for molgdl."""
