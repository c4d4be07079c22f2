"""molgdl-qlangevin: Langevin dynamics from parameter quantization with increasing resolution.

Seok & Cho, "Stochastic Gradient Langevin Dynamics Based on Quantization with Increasing Resolution"
(arXiv:2305.18864): after each step of a base optimizer every parameter is rounded to the lattice
``Q_p(t)^-1 * round(Q_p(t) * x)`` with ``Q_p(t) = eta * b**h(t)``; the rounding error acts as
uniform noise of variance ``1 / (12 Q_p^2)``, i.e. a Langevin temperature ``T = 1 / (24 lr Q_p^2)``.

Importing this package is light; the torch modules (``lattice``, ``optimizer``, ``sgld``) are imported
on demand by the factories in ``hooks``.
"""

__version__ = "0.1.0"
