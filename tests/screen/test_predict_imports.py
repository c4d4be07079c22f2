"""``molgdl predict`` of a neural run applies the model without importing the training stack, PyTorch Lightning
and scikit-learn's metrics: about a second and a half of start-up for every prediction job."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd


def test_predict_does_not_import_lightning_or_sklearn_metrics(dmpnn_run, tmp_path):
    inp, out = tmp_path / "new.csv", tmp_path / "pred.csv"
    pd.DataFrame({"smiles": ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]}).to_csv(inp, index=False)
    script = (
        "import json, sys\n"
        "from molgdl.cli import main\n"
        f"code = main(['predict', '--run', {str(dmpnn_run)!r}, '--input', {str(inp)!r}, '--output', {str(out)!r},"
        " '--quiet'])\n"
        "print(json.dumps({'code': code, 'loaded': sorted(m for m in ('pytorch_lightning', 'lightning_fabric',"
        " 'sklearn.metrics') if m in sys.modules)}))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}
    assert len(pd.read_csv(out)) == 3
