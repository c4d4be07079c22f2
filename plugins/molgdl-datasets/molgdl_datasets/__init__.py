"""molgdl-datasets: CSV / SDF / extended-XYZ readers and bundled datasets for molgdl.

Components (DatasetSpec): ``csv``, ``sdf``, ``xyz``, ``qm9``, ``esol``, ``freesolv``, ``lipo``, ``bbbp``,
``rmd17_ethanol``, ``3bpa``. Provenance and licenses of the bundled files: ``data/LICENSES.md``.
"""

__version__ = "0.1.0"
