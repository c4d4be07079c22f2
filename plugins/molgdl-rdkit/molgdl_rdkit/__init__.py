"""molgdl first-party RDKit plugin: ``graph2d`` and ``conformer3d`` featurizers, ``rdkit2d`` and ``morgan``
descriptors, ``scaffold`` splitter. Heavy modules (rdkit, torch) are imported only by the factories."""

__version__ = "0.1.0"
