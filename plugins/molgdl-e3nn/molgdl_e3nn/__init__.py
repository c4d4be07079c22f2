"""molgdl-e3nn: a NequIP-style E(3)-equivariant interaction network built from e3nn primitives.

Python API (imports torch and e3nn)::

    from molgdl_e3nn.model import E3NNEncoder
    from molgdl_e3nn.heads import VectorHead

Registered components (entry point ``molgdl: e3nn``): models ``e3nn`` (parity on, E(3)) and
``e3nn_chiral`` (parity off, SE(3) only). See ``docs/e3nn.md``.
"""

__version__ = "0.1.0"
