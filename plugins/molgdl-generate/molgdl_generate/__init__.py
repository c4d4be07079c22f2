"""molgdl-generate: SMILES/SELFIES language models and decoding as action-value optimisation.

Tasks ``language_model`` (train) and ``generate`` (decode + MOSES metrics); decoders in
``molgdl_generate.decoding`` (docs/generate.md; methods.md section 6, Chang, Cohen & Sung, arXiv:2311.10083).
"""
