"""Typed molecule tables, readers, splits and the featurization cache."""

from molgdl.data.table import InvalidRow, MoleculeRecord, MoleculeTable

__all__ = ["InvalidRow", "MoleculeRecord", "MoleculeTable"]
