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

Any other dataset (a list of graphs, the on-disk store, keys this module does not know how to shift) goes
through PyG's ``DataLoader`` unchanged.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch_geometric.data import Batch, Data

#: Keys PyG reads the number of nodes from (``torch_geometric.data.storage.N_KEYS``, in its order of preference).
NODE_KEYS = ("x", "feat", "pos", "node_type", "n_id")


def ordered_batches(dataset, batch_size: int) -> Iterable[Batch]:
    """The graphs of ``dataset`` in order, ``batch_size`` at a time, as ``torch_geometric`` batches."""
    return graph_loader(dataset, batch_size)


def graph_loader(dataset, batch_size: int, shuffle: bool = False, **kwargs) -> torch.utils.data.DataLoader:
    """``torch_geometric.loader.DataLoader(dataset, batch_size, shuffle, **kwargs)``, with each batch fetched in one
    call as a cut of the collated store where the dataset allows it (``kwargs``: ``generator``, ``num_workers``,
    ``drop_last``, ... of ``torch.utils.data.DataLoader``)."""
    node_key = _node_key(dataset)
    if node_key is None:
        from torch_geometric.loader import DataLoader

        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, **kwargs)
    return torch.utils.data.DataLoader(_StoreBatches(dataset, node_key), batch_size=batch_size, shuffle=shuffle,
                                       collate_fn=_as_is, **kwargs)


class _StoreBatches(torch.utils.data.Dataset):
    """``dataset`` for ``torch.utils.data.DataLoader``: it fetches a batch's graphs in one call (``__getitems__``)
    and gets back one :class:`Batch`; ``[i]`` is graph ``i`` of ``dataset``, as before (callbacks sample graphs
    from ``trainer.train_dataloader.dataset``)."""

    def __init__(self, dataset, node_key: str) -> None:
        self.graphs, self.node_key = dataset, node_key
        self.positions = torch.as_tensor(list(dataset.indices()), dtype=torch.long)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index: int) -> Data:
        return self.graphs[index]

    def __getitems__(self, indices: list[int]) -> Batch:
        return _cut(self.graphs._data, self.graphs.slices, self.positions[torch.as_tensor(indices, dtype=torch.long)],
                    self.node_key)


def _as_is(batch: Batch) -> Batch:
    """The collate function of :func:`graph_loader`: the batch is collated already."""
    return batch


def _node_key(dataset) -> str | None:
    """The key that counts each graph's nodes, or None when the fast path does not apply to ``dataset``."""
    from molgdl.data.featurize import GraphDataset

    if not isinstance(dataset, GraphDataset) or type(dataset._data) is not Data or len(dataset) == 0:
        return None
    data, slices = dataset._data, dataset.slices
    keys = list(data.keys())
    if "num_nodes" in keys or "ptr" in keys or any("batch" in k for k in keys) or set(keys) != set(slices):
        return None
    if not all(isinstance(data[k], torch.Tensor) and not data[k].is_sparse for k in keys):
        return None
    return next((k for k in NODE_KEYS if k in keys), None)


def _cut(data: Data, slices: dict[str, torch.Tensor], graphs: torch.Tensor, node_key: str) -> Batch:
    """The batch of stored graphs ``graphs`` ``[B]`` (positions in the store, in batch order)."""
    contiguous = bool((graphs[1:] - graphs[:-1] == 1).all())
    nodes = _sizes(slices[node_key], graphs)
    node_offset = torch.cumsum(nodes, 0) - nodes  # nodes before each graph in the batch
    out, slice_dict, inc_dict = Batch(_base_cls=Data), {}, {}
    for key in data.keys():
        value, bounds = data[key], slices[key]
        dim = data.__cat_dim__(key, value)
        sizes = _sizes(bounds, graphs)
        if contiguous:
            part = value.narrow(dim, int(bounds[graphs[0]]), int(sizes.sum())).clone()  # a model may write in place
        else:
            part = value.index_select(dim, _element_index(bounds, graphs, sizes))
        shifts = node_offset if ("index" in key or key == "face") else torch.zeros_like(nodes)
        if bool(shifts.any()):
            part = part + _per_element(shifts, sizes).view(*([1] * (dim % part.dim())), -1,
                                                           *([1] * (part.dim() - 1 - dim % part.dim())))
        out[key] = part
        slice_dict[key] = torch.cat([sizes.new_zeros(1), torch.cumsum(sizes, 0)])
        inc_dict[key] = shifts
    out.batch = torch.repeat_interleave(torch.arange(len(graphs)), nodes)
    out.ptr = torch.cat([nodes.new_zeros(1), torch.cumsum(nodes, 0)])
    out._num_graphs = len(graphs)
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
