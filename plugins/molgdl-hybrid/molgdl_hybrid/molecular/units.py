"""Unit conversions of the molecular case (positions Å, time fs, energy kcal/mol, mass amu).

1 kcal/mol/Å per amu = 4184 J / (1e-3 kg * 1e-10 m) = 4.184e16 m/s^2 = 4.184e-4 Å/fs^2.
1 amu Å^2/fs^2 = 1e-3 kg/mol * 1e-20 m^2 / 1e-30 s^2 = 1e7 J/mol = 1 / 4.184e-4 kcal/mol.
"""

from __future__ import annotations

ACCEL = 4.184e-4  # (kcal/mol/Å) / amu -> Å/fs^2; also kcal/mol per (amu Å^2/fs^2)
KB = 0.0019872041  # Boltzmann constant, kcal/mol/K (CODATA 2018: 1.380649e-23 J/K * N_A / 4184)


def kinetic_energy(masses, v):
    """Kinetic energy (kcal/mol) of velocities ``v`` (Å/fs), masses (amu).

    Shapes: masses :math:`(N)`, v :math:`(..., N, 3)` -> :math:`(...)` (numpy or torch).
    """
    return 0.5 * (masses[..., :, None] * v * v).sum(-1).sum(-1) / ACCEL
