"""Batches cut straight out of a collated :class:`~molgdl.data.featurize.GraphDataset`.

PyG's ``DataLoader`` separates every graph of a batch from the collated store and collates them again: in a
streamed ``molgdl predict`` with a graph-only D-MPNN that was about half of the prediction time. A batch of
consecutive graphs is one slice of every stored tensor along its concatenation dimension (any other batch, one
gather), plus the node offsets added to index-like keys. This module follows PyG's rules for a plain ``Data``
store (``Data.__cat_dim__``, ``Data.__inc__``: keys containing ``index``, and ``face``, are shifted by the number
of nodes before them in the batch), so its batches equal ``DataLoader``'s, attribute for attribute (tested).

- :func:`ordered_batches`: the graphs in order (prediction, embedding, evaluation).
- :func:`graph_loader`: a drop-in for ``torch_geometric.loader.DataLoader`` (training: shuffling with a seeded
  generator, ``drop_last``, loader workers); the same sampler draws the same batches.

The on-disk store (:class:`~molgdl.data.disk_store.DiskGraphDataset`) reads a batch the same way: one positional
read per attribute and run of consecutive stored graphs, assembled by :func:`batch_of_parts`. Any other dataset (a
list of graphs, keys this module does not know how to shift) goes through PyG's ``DataLoader`` unchanged.
"""

from __future__ import annotations

import functools
from typing import Callable, Iterable

import torch
from torch_geometric.data import Batch, Data

#: Keys PyG reads the number of nodes from (``torch_geometric.data.storage.N_KEYS``, in its order of preference).
NODE_KEYS = ("x", "feat", "pos", "node_type", "n_id")


def ordered_batches(dataset, batch_size: int) -> Iterable[Batch]:
    """The graphs of ``dataset`` in order, ``batch_size`` at a time, as ``torch_geometric`` batches."""
    return graph_loader(dataset, batch_size)


def graph_loader(dataset, batch_size: int, shuffle: bool = False, **kwargs) -> torch.utils.data.DataLoader:
    """``torch_geometric.loader.DataLoader(dataset, batch_size, shuffle, **kwargs)``, with each batch fetched in one
    call where the dataset allows it: a cut of the collated in-memory store, or one read per attribute and run of
    stored graphs from the on-disk store (``kwargs``: ``generator``, ``num_workers``, ``drop_last``, ... of
    ``torch.utils.data.DataLoader``)."""
    fetch = _batch_fetcher(dataset)
    if fetch is None:
        from torch_geometric.loader import DataLoader

        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, **kwargs)
    return torch.utils.data.DataLoader(_StoreBatches(dataset, fetch), batch_size=batch_size, shuffle=shuffle,
                                       collate_fn=_as_is, **kwargs)


class _StoreBatches(torch.utils.data.Dataset):
    """``dataset`` for ``torch.utils.data.DataLoader``: it fetches a batch's graphs in one call (``__getitems__``)
    and gets back one :class:`Batch`; ``[i]`` is graph ``i`` of ``dataset``, as before (callbacks sample graphs
    from ``trainer.train_dataloader.dataset``)."""

    def __init__(self, dataset, fetch: Callable[[torch.Tensor], Batch]) -> None:
        self.graphs, self.fetch = dataset, fetch
        self.positions = torch.as_tensor(list(dataset.indices()), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index: int) -> Data:
        return self.graphs[index]

    def __getitems__(self, indices: list[int]) -> Batch:
        return self.fetch(self.positions[torch.as_tensor(indices, dtype=torch.long)])


def _as_is(batch: Batch) -> Batch:
    """The collate function of :func:`graph_loader`: the batch is collated already."""
    return batch


def _batch_fetcher(dataset) -> Callable[[torch.Tensor], Batch] | None:
    """``fetch(positions)``: the batch of the stored graphs at ``positions`` ``[B]``; None when ``dataset`` has no
    batched read (PyG's ``DataLoader`` then collates graph by graph)."""
    from molgdl.data.disk_store import DiskGraphDataset

    if isinstance(dataset, DiskGraphDataset):
        return dataset.read_batch if dataset.batch_readable else None
    node_key = _node_key(dataset)
    if node_key is None:
        return None
    return functools.partial(_cut, dataset._data, dataset.slices, node_key=node_key)


def _node_key(dataset) -> str | None:
    """The key that counts each graph's nodes, or None when the fast path does not apply to ``dataset``."""
    from molgdl.data.featurize import GraphDataset

    if not isinstance(dataset, GraphDataset) or type(dataset._data) is not Data or len(dataset) == 0:
        return None
    data, slices = dataset._data, dataset.slices
    keys = list(data.keys())
    if not shiftable(keys) or set(keys) != set(slices):
        return None
    if not all(isinstance(data[k], torch.Tensor) and not data[k].is_sparse for k in keys):
        return None
    return next((k for k in NODE_KEYS if k in keys), None)


def shiftable(keys: Iterable[str]) -> bool:
    """Whether a plain ``Data`` with these keys is batched by the rules this module follows (no ``num_nodes``,
    ``ptr`` or ``*batch*`` key, which PyG treats specially)."""
    keys = list(keys)
    return not ("num_nodes" in keys or "ptr" in keys or any("batch" in k for k in keys))


def _cut(data: Data, slices: dict[str, torch.Tensor], graphs: torch.Tensor, node_key: str) -> Batch:
    """The batch of stored graphs ``graphs`` ``[B]`` (positions in the store, in batch order)."""
    contiguous = bool((graphs[1:] - graphs[:-1] == 1).all())
    parts = {}
    for key in data.keys():
        value, bounds = data[key], slices[key]
        dim = data.__cat_dim__(key, value) % value.dim()
        sizes = _sizes(bounds, graphs)
        if contiguous:
            part = value.narrow(dim, int(bounds[graphs[0]]), int(sizes.sum())).clone()  # a model may write in place
        else:
            part = value.index_select(dim, _element_index(bounds, graphs, sizes))
        parts[key] = (part, sizes, dim)
    return batch_of_parts(parts, node_key)


def batch_of_parts(parts: dict[str, tuple[torch.Tensor, torch.Tensor, int]], node_key: str) -> Batch:
    """The :class:`Batch` PyG's collation gives for ``B`` graphs, from ``parts[key] = (values, sizes, dim)``: the
    graphs' values of ``key`` concatenated along ``dim`` (their PyG cat dimension, non-negative), and how many
    elements along ``dim`` each graph has ``[B]``. Index-like keys (``*index*``, ``face``) get the node offsets
    added here, as PyG's ``Data.__inc__`` does; ``parts[node_key]`` sizes count the nodes."""
    nodes = parts[node_key][1]
    node_offset = torch.cumsum(nodes, 0) - nodes  # nodes before each graph in the batch
    out, slice_dict, inc_dict = Batch(_base_cls=Data), {}, {}
    for key, (part, sizes, dim) in parts.items():
        shifts = node_offset if ("index" in key or key == "face") else torch.zeros_like(nodes)
        if bool(shifts.any()):
            part = part + _per_element(shifts, sizes).view(*([1] * dim), -1, *([1] * (part.dim() - 1 - dim)))
        out[key] = part
        slice_dict[key] = torch.cat([sizes.new_zeros(1), torch.cumsum(sizes, 0)])
        inc_dict[key] = shifts
    out.batch = torch.repeat_interleave(torch.arange(len(nodes)), nodes)
    out.ptr = torch.cat([nodes.new_zeros(1), torch.cumsum(nodes, 0)])
    out._num_graphs = len(nodes)
    out._slice_dict, out._inc_dict = slice_dict, inc_dict
    return out


def _sizes(bounds: torch.Tensor, graphs: torch.Tensor) -> torch.Tensor:
    """Elements of each graph ``[B]`` from a key's graph boundaries ``[G + 1]``."""
    return bounds[graphs + 1] - bounds[graphs]


def _per_element(values: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Each graph's value repeated over its elements."""
    return torch.repeat_interleave(values, sizes)


def _element_index(bounds: torch.Tensor, graphs: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Positions in the store of the elements of graphs that are not stored next to each other."""
    first = _per_element(bounds[graphs], sizes)
    within = torch.arange(int(sizes.sum())) - _per_element(torch.cumsum(sizes, 0) - sizes, sizes)
    return first + within
