"""Re-export of the core's plain-torch radius graph (``molgdl.geometry``), kept for existing imports."""

from molgdl.geometry import radius_graph

__all__ = ["radius_graph"]
