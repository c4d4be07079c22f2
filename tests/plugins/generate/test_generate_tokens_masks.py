"""Tokenizers (SMILES regex, SELFIES) and the validity guarantees of the SMILES masks and SELFIES decoding."""

from __future__ import annotations

import pytest
import torch

from molgdl.errors import DataError
from molgdl_generate.bundled import bundled_path
from molgdl_generate.decoding.grammar import SmilesGrammar
from molgdl_generate.decoding.loop import run_policy
from molgdl_generate.decoding.policy import DecoderPolicy
from molgdl_generate.decoding.selfies_mask import SelfiesStart
from molgdl_generate.metrics import canonical
from molgdl_generate.models import GRULanguageModel, TransformerLanguageModel
from molgdl_generate.stream import read_smiles
from molgdl_generate.tokenizers import Vocabulary, detokenize, selfies_tokens, smiles_tokens

SMILES = read_smiles(bundled_path("moses_train_2000"))


def test_smiles_tokens_by_hand_and_round_trip():
    assert smiles_tokens("Cc1ccc(Br)[nH]1") == ["C", "c", "1", "c", "c", "c", "(", "Br", ")", "[nH]", "1"]
    assert smiles_tokens("C%12CC%12Cl") == ["C", "%12", "C", "C", "%12", "Cl"]
    assert all("".join(smiles_tokens(s)) == s for s in SMILES)
    with pytest.raises(DataError, match="outside the SMILES token pattern"):
        smiles_tokens("CC C")


def test_selfies_round_trip_keeps_the_molecule():
    for s in SMILES[:100]:
        assert canonical(detokenize(selfies_tokens(s), "selfies")) == canonical(s)


def test_vocabulary_encode_decode():
    vocab = Vocabulary.build("smiles", SMILES[:200])
    ids = vocab.encode("CCO")
    assert ids[0] == vocab.bos and ids[-1] == vocab.eos and vocab.decode(ids[1:]) == "CCO"
    assert Vocabulary.from_json(vocab.to_json()) == vocab


@pytest.mark.parametrize("cls", [GRULanguageModel, TransformerLanguageModel])
def test_step_decoding_equals_teacher_forcing(cls):
    """step() fed token by token gives the same log-probabilities as forward() on the whole string."""
    torch.manual_seed(0)
    model = cls(12).eval()
    tokens = torch.randint(4, 12, (3, 7))
    tokens[:, 0] = 1
    with torch.no_grad():
        full = torch.log_softmax(model(tokens), -1)
        state = model.start(3)
        for t in range(7):
            logp, state = model.step(state, tokens[:, t])
            assert torch.allclose(logp, full[:, t], atol=1e-5)


def test_selfies_decoding_is_always_valid():
    vocab = Vocabulary.build("selfies", SMILES[:300])
    torch.manual_seed(1)
    model = GRULanguageModel(len(vocab), 16, 32, 1).eval()  # untrained: any token string
    out = run_policy(model, 200, DecoderPolicy(tau=1.0), max_len=40, grammar=SelfiesStart(vocab, 200),
                     generator=torch.Generator().manual_seed(0))
    smiles = [vocab.decode([t for t in row if t]) for row in out.tokens.tolist()]
    assert all(canonical(s) is not None for s in smiles)


def test_smiles_masks_accept_real_molecules_and_make_finished_strings_valid():
    vocab = Vocabulary.build("smiles", SMILES)
    for s in SMILES:  # no prefix of a real molecule is masked or rejected
        g = SmilesGrammar(vocab, 1)
        for t in vocab.encode(s)[1:]:
            assert g.mask(100)[0, t] and g.check(0, t), s
            g.advance(torch.tensor([t]))
    torch.manual_seed(2)
    model = GRULanguageModel(len(vocab), 16, 32, 1).eval()
    n, max_len = 100, 40
    masked = run_policy(model, n, DecoderPolicy(), max_len=max_len, grammar=SmilesGrammar(vocab, n),
                        generator=torch.Generator().manual_seed(0))
    plain = run_policy(model, n, DecoderPolicy(), max_len=max_len, generator=torch.Generator().manual_seed(0))
    finished = [row for row, dead in zip(masked.tokens.tolist(), masked.dead_end.tolist()) if vocab.eos in row and not dead]
    assert len(finished) >= 10
    assert all(canonical(vocab.decode(row)) for row in finished)  # every finished string is a molecule
    plain_finished = [row for row in plain.tokens.tolist() if vocab.eos in row]
    assert sum(canonical(vocab.decode(row)) is not None for row in plain_finished) < 0.5 * len(plain_finished)


@pytest.mark.parametrize("greedy", [False, True])
def test_backtracking_turns_dead_ends_into_valid_molecules(greedy):
    """An untrained model under the masks dead-ends or runs to max_len on many rows; with backtracking the
    same rows finish as molecules, and the log-likelihood reported is that of the returned string."""
    vocab = Vocabulary.build("smiles", SMILES)
    torch.manual_seed(2)
    model = GRULanguageModel(len(vocab), 16, 32, 1).eval()
    n, max_len = 40 if not greedy else 4, 40
    without = run_policy(model, n, DecoderPolicy(), max_len=max_len, grammar=SmilesGrammar(vocab, n),
                         generator=torch.Generator().manual_seed(0), greedy=greedy)
    assert without.dead_end.any() and not without.retries.any()
    out = run_policy(model, n, DecoderPolicy(), max_len=max_len, grammar=SmilesGrammar(vocab, n),
                     generator=torch.Generator().manual_seed(0), greedy=greedy, backtrack=30)
    rows = [[t for t in row if t != vocab.pad] for row in out.tokens.tolist()]
    valid = [canonical(vocab.decode(r[:-1])) is not None and r[-1] == vocab.eos for r in rows]
    assert sum(valid) >= 0.9 * n > (~without.dead_end).sum()
    assert ((out.retries > 0) == without.dead_end).all()  # exactly the dead-ended rows were retried
    assert valid == (~out.dead_end).tolist()  # a row is valid exactly when it is not (still) a dead end
    for row, ll in zip(rows, out.log_likelihood.tolist()):  # replay the returned string through the model
        state, logp_sum, token = model.start(1), 0.0, torch.tensor([vocab.bos])
        for t in row:
            logp, state = model.step(state, token)
            logp_sum += float(logp[0, t])
            token = torch.tensor([t])
        assert ll == pytest.approx(logp_sum, abs=1e-4)


def test_a_full_atom_with_a_ring_still_open_is_rejected_and_a_non_kekulizable_ring_is_blamed():
    vocab = Vocabulary.build("smiles", SMILES)

    def state(prefix: str) -> SmilesGrammar:
        g = SmilesGrammar(vocab, 1)
        for t in vocab.encode(prefix)[1:-1]:
            g.advance(torch.tensor([t]))
        return g

    O, C = vocab.encode("O")[1], vocab.encode("C")[1]
    assert not state("C1CC=").check(0, O)  # C1CC=O: ring 1 open, nothing can follow the O
    assert state("C1CC=").check(0, C)
    assert state("C1CC(=").check(0, O)  # inside a branch: ')' returns to a carbon with room
    assert state("CC=").check(0, O)  # no ring open: the string can end there
    ids = vocab.encode("Cc1cccc1")[1:-1]  # a five-membered all-carbon aromatic ring does not kekulize
    assert SmilesGrammar(vocab, 1).blame(ids) == len(ids) - 2  # its last atom (the token before the closure)
    assert SmilesGrammar(vocab, 1).blame(vocab.encode("Cc1ccccc1")[1:-1]) is None
