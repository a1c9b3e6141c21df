"""Maximum mean discrepancy with an RBF kernel and a permutation test on a precomputed kernel.

The pooled kernel matrix of reference (n rows) and window (m rows) is computed
once per window, the reference-reference block once per reference. A
permutation only relabels which pooled rows form the "window" group, so with
``s`` the 0/1 indicator of that group, ``r = K 1`` and ``T = 1' K 1``:

    sum over window pairs     = s' K s
    sum over cross pairs      = r's - s' K s
    sum over reference pairs  = T - 2 r's + s' K s

and every permutation costs one column of a matrix product ``K S`` instead of
a fresh kernel evaluation. Arrays live in numpy, or in torch on a GPU (see
``Backend.get``); torch is imported only when a detector asks for a backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Backend:
    """The few array operations the kernel code needs, from numpy or torch."""

    name: str  # "numpy", "torch:cpu", "torch:cuda"
    asarray: object  # numpy float32 array -> backend array
    exp: object
    to_numpy: object

    @classmethod
    def get(cls, prefer: str = "auto") -> Backend:
        """'numpy'; 'torch' (its GPU when there is one, else CPU; ImportError without torch);
        or 'auto': torch on a GPU when torch and a GPU are there, numpy otherwise.

        On CPU numpy is as fast as torch for this workload when cores are free and
        several times faster when they are shared (torch's thread pool suffers
        more from contention), so 'auto' only picks torch for a GPU.
        """
        if prefer not in ("auto", "torch", "numpy"):
            raise ValueError(f"backend must be 'auto', 'torch' or 'numpy', got {prefer!r}")
        if prefer != "numpy":
            try:
                import torch
            except ImportError:
                if prefer == "torch":
                    raise
            else:
                device = "cuda" if torch.cuda.is_available() else "cpu"
                if prefer == "torch" or device == "cuda":
                    return cls(
                        f"torch:{device}",
                        lambda a: torch.from_numpy(a).to(device),
                        torch.exp,
                        lambda t: t.cpu().numpy(),
                    )
        return cls("numpy", lambda a: a, np.exp, lambda a: a)


def sq_distances(a, b):
    """Squared Euclidean distances between the rows of backend arrays `a` (n, k) and `b` (m, k)."""
    return (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)


def rbf_kernel(a, b, bandwidth: float, backend: Backend):
    """``exp(-|a_i - b_j|^2 / (2 bandwidth^2))`` for backend arrays `a` (n, k), `b` (m, k)."""
    return backend.exp(sq_distances(a, b) * (-0.5 / bandwidth**2))


def median_bandwidth(d2: np.ndarray) -> float:
    """Median heuristic: the median distance between distinct rows, from their squared
    distances `d2` (n, n); 1.0 when all rows coincide."""
    n = len(d2)
    pairs = np.maximum(d2[np.arange(n)[:, None] < np.arange(n)], 0.0)
    med = float(np.sqrt(np.median(pairs))) if pairs.size else 0.0
    return med if med > 0 else 1.0


@dataclass(frozen=True)
class ReferenceKernel:
    """The reference block of the pooled kernel, computed once: K_xx, its row sums and total."""

    x: object  # backend array (n, k), float32
    k_xx: object  # backend array (n, n), float32
    row_sums: np.ndarray  # float64 (n,)
    total: float
    bandwidth: float
    backend: Backend

    @classmethod
    def fit(cls, x: np.ndarray, backend: Backend, bandwidth: float | None = None) -> ReferenceKernel:
        """Kernel block of the reference rows `x`; bandwidth by the median heuristic unless given."""
        xb = backend.asarray(np.ascontiguousarray(x, dtype=np.float32))
        d2 = sq_distances(xb, xb)
        if bandwidth is None:
            bandwidth = median_bandwidth(backend.to_numpy(d2))
        k_xx = backend.exp(d2 * (-0.5 / bandwidth**2))
        row_sums = backend.to_numpy(k_xx.sum(1)).astype(np.float64)
        return cls(xb, k_xx, row_sums, float(row_sums.sum()), float(bandwidth), backend)


def mmd_permutation_test(
    ref: ReferenceKernel, y: np.ndarray, n_permutations: int, rng: np.random.Generator
) -> tuple[float, float]:
    """Biased MMD^2 between the reference and window `y` (m, k), and its permutation p-value.

    The p-value is ``(1 + #{permuted >= observed}) / (1 + n_permutations)``,
    valid at any number of permutations because the bandwidth and the reference
    are fixed before the window is seen.
    """
    be = ref.backend
    yb = be.asarray(np.ascontiguousarray(y, dtype=np.float32))
    k_xy = rbf_kernel(ref.x, yb, ref.bandwidth, be)
    k_yy = rbf_kernel(yb, yb, ref.bandwidth, be)
    n, m = ref.k_xx.shape[0], k_yy.shape[0]
    r_y = be.to_numpy(k_xy.sum(0)).astype(np.float64) + be.to_numpy(k_yy.sum(1)).astype(np.float64)
    r = np.concatenate([ref.row_sums + be.to_numpy(k_xy.sum(1)).astype(np.float64), r_y])
    total = float(r.sum())

    # Column 0 of S is the observed labelling; the others are random relabellings.
    s = np.zeros((n + m, n_permutations + 1), dtype=np.float32)
    s[n:, 0] = 1.0
    picks = rng.random((n_permutations, n + m)).argpartition(m - 1, axis=1)[:, :m]
    s[picks, np.arange(1, n_permutations + 1)[:, None]] = 1.0
    sx, sy = be.asarray(s[:n]), be.asarray(s[n:])
    q = (sx * (ref.k_xx @ sx + k_xy @ sy)).sum(0) + (sy * (k_xy.T @ sx + k_yy @ sy)).sum(0)
    q = be.to_numpy(q).astype(np.float64)  # s' K s per labelling
    rs = r @ s.astype(np.float64)
    mmd2 = (total - 2.0 * rs + q) / n**2 + q / m**2 - 2.0 * (rs - q) / (n * m)
    observed = float(mmd2[0])
    # Kernel values are <= 1 and summed in float32: statistics within 1e-6 count as ties.
    exceed = int(np.sum(mmd2[1:] >= observed - 1e-6))
    return observed, (1 + exceed) / (1 + n_permutations)
