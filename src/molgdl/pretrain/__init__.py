"""Pretraining an encoder on a large unlabelled library and fine-tuning from it (docs/fewshot.md).

``task: pretrain`` (``molgdl pretrain CONFIG``) streams molecules from a CSV(.gz), featurizes them on the fly and
trains ``encoder -> readout -> head`` to predict their standardised descriptor vector (CheMeleon's recipe with
RDKit descriptors); the encoder is written as a reusable artifact (``<run>/pretrained/``, ``artifact.py``). A
property config loads it with a ``pretrained:`` section (``finetune.py``).

Why in the core: the artifact format is read by the core's training stage (fine-tuning), and pretraining reuses
the core's model (``MolecularModel``), Lightning module, checkpoints and registries; it names no plugin.
"""
