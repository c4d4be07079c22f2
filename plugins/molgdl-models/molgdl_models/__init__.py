"""molgdl-models: first-party encoders (dmpnn, gine, schnet), readouts and classical models for molgdl.

Importing this package is light; torch-based modules (``dmpnn``, ``gine``, ``schnet``, ``radius``,
``readouts``) and scikit-learn (``forest``) are imported on demand.
"""

__version__ = "0.1.0"
