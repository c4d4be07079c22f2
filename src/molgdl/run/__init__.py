"""The run pipeline: load data -> featurize -> split -> train -> evaluate -> analyse -> write artifacts."""
