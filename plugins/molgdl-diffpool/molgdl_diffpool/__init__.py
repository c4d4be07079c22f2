"""molgdl-diffpool: hierarchical DiffPool readout (Ying et al. 2018, arXiv:1806.08804) for molgdl."""
