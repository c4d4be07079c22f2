"""Molecular case of molgdl-hybrid: velocity-Verlet MD on RDKit force fields as a non-differentiable physical
core, MMFF94 reference trajectories, an E(3)-equivariant energy correction, offline and online (EGA) training.

Units everywhere: positions Å, velocities Å/fs, time fs, energies kcal/mol, forces kcal/mol/Å, masses amu,
temperature K (:mod:`.units`). A molecular state row is ``u = [x.ravel(), v.ravel()]``, width ``6 N``.
"""
