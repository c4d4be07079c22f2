"""MOSES metrics against hand-computed values on tiny sets (and RDKit's own Tanimoto for IntDiv)."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import pytest

from molgdl_generate.metrics import (canonical, cosine_similarity, fragment_counts, internal_diversity,
                                     moses_metrics, novelty, scaffold, unique_at, validity)


def test_validity_counts_parsable_nonempty_molecules():
    assert validity(["CCO", "C1CC", "", "c1ccccc1", "C(C"]) == pytest.approx(2 / 5)
    assert canonical("OCC") == "CCO"


def test_unique_at_k_uses_the_first_k_valid():
    valid = ["CCO", "CCO", "c1ccccc1", "CCN"]
    assert unique_at(valid, 2) == pytest.approx(1 / 2)
    assert unique_at(valid, 3) == pytest.approx(2 / 3)
    assert unique_at(valid, 10) == pytest.approx(3 / 4)


def test_novelty_is_over_distinct_molecules():
    assert novelty(["CCO", "CCO", "CCN", "CCC"], {"CCO", "CCCl"}) == pytest.approx(2 / 3)


def test_internal_diversity_matches_rdkit_tanimoto():
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC"]
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    sims = [DataStructs.TanimotoSimilarity(a, b) for a, b in itertools.product(fps, fps)]
    assert internal_diversity(smiles) == pytest.approx(1 - sum(sims) / len(sims), abs=1e-6)
    assert internal_diversity(["CCO", "CCO"]) == pytest.approx(0.0)


def test_cosine_of_count_vectors_by_hand():
    assert cosine_similarity(Counter(a=1, b=2), Counter(b=2, c=1)) == pytest.approx(4 / 5)
    assert cosine_similarity(Counter(a=3), Counter(a=1)) == pytest.approx(1.0)
    assert cosine_similarity(Counter(), Counter(a=1)) is None


def test_scaffolds_need_two_rings_and_fragments_cut_brics_bonds():
    assert scaffold("c1ccccc1CCC1CCNCC1") == canonical("c1ccc(CCC2CCNCC2)cc1")
    assert scaffold("Cc1ccccc1") is None  # one ring: MOSES min_rings = 2
    assert fragment_counts(["CCC"]) == Counter({"CCC": 1})  # no BRICS bond
    ester = fragment_counts(["CCOC(=O)c1ccccc1"])
    # BRICS cuts ethyl (L4) | ether O (L3) | carbonyl (L1 to O, L6 to the ring) | phenyl (L16)
    assert ester == Counter({"[4*]CC": 1, "[3*]O[3*]": 1, "[1*]C([6*])=O": 1, "[16*]c1ccccc1": 1})


def test_moses_metrics_on_a_tiny_set():
    generated = ["CCO", "OCC", "C1CC", "c1ccccc1CCC1CCNCC1", "CCN"]
    out = moses_metrics(generated, train={"CCO"}, reference=["c1ccc(CCC2CCNCC2)cc1", "CCO"], k=(2, 10))
    assert out["validity"] == pytest.approx(4 / 5)
    assert out["unique@2"] == pytest.approx(1 / 2) and out["unique@10"] == pytest.approx(3 / 4)
    assert out["novelty"] == pytest.approx(2 / 3)
    assert out["scaffold_similarity"] == pytest.approx(1.0)  # the one 2-ring scaffold on both sides
    assert 0 < out["fragment_similarity"] <= 1
    assert out["properties"]["MW"]["mean"] == pytest.approx(
        sum([46.069, 46.069, 189.302, 45.085]) / 4, abs=0.01)
    assert not math.isnan(out["intdiv"])
