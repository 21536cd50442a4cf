"""The cost matrix behind every siting model: one function, one registry.

:func:`cost_matrix` returns the ``(n_origins, n_destinations)`` matrix of costs
(kilometres) that the location models read. Today there is one measure,
straight-line distance on the British National Grid (EPSG:27700, metres):

.. math::

    c_{ij} = \\frac{\\sqrt{(x_i - x_j)^2 + (y_i - y_j)^2}}{1000}

A network travel-time matrix (e.g. r5py walking minutes) can replace it later by
registering another function in :data:`COSTS` with the same signature; the
models only see the matrix. Note for such a measure: the siting inputs narrow
the existing services to those that can matter *by straight-line distance*
(:func:`needsmap.access.siting.relevant_existing`), which stays exact only
while the cost never ranks a farther point nearer, so a network measure must
widen that filter.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import cdist

#: Measure name of the default cost (also ``lsoa_access.measure``).
STRAIGHT_LINE_KM = "straight_line_km"


def straight_line_km(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    """Euclidean distance in kilometres between EPSG:27700 points (metres).

    >>> straight_line_km(np.array([[0.0, 0.0]]), np.array([[3000.0, 4000.0], [0.0, 0.0]]))
    array([[5., 0.]])
    """
    o = np.asarray(origins, dtype="float64").reshape(-1, 2)
    d = np.asarray(destinations, dtype="float64").reshape(-1, 2)
    return cdist(o, d) / 1000.0


#: measure name -> function ``(origins (n, 2), destinations (m, 2)) -> (n, m) km``.
COSTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    STRAIGHT_LINE_KM: straight_line_km,
}


def cost_matrix(origins: np.ndarray, destinations: np.ndarray,
                measure: str = STRAIGHT_LINE_KM) -> np.ndarray:
    """Cost (km) from every origin to every destination.

    Parameters
    ----------
    origins, destinations
        ``(n, 2)`` and ``(m, 2)`` arrays of easting/northing (EPSG:27700, metres).
    measure
        A key of :data:`COSTS`; unknown names are rejected with the valid list.

    Returns
    -------
    numpy.ndarray
        ``(n, m)`` float array.
    """
    if measure not in COSTS:
        raise ValueError(f"unknown cost measure {measure!r}; valid: {', '.join(COSTS)}")
    return COSTS[measure](origins, destinations)


__all__ = ["COSTS", "STRAIGHT_LINE_KM", "cost_matrix", "straight_line_km"]
