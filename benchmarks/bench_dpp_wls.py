"""Projection-DPP sampling: skpapers.sampling against DPPy.

Finite pool: N candidates in [-1, 1] with the Legendre polynomials of degree < m as
features (m = 100 at N = 20,000). Both contenders get the orthonormal basis Q of
the features precomputed (ours: ``PoolSampler``, one pivoted QR; DPPy: the kernel
K = Q Q^T, or its eigenvectors Q) and draw one exact sample per call:
``FiniteDPP("correlation", projection=True, K=K).sample_exact("GS")`` (the N x N
kernel) and ``...(K_eig_dec=(1, Q)).sample_exact("GS")`` (DPPy's O(N m^2)
Gram-Schmidt on the eigenvectors), against our chain rule by rejection from the
leverage scores (O(m^3 log m) per sample, whatever N).

Continuous domain: the projection DPP of the tensor Legendre polynomials of degree
<= p on [-1, 1]^2 (m = (p + 1)^2, uniform measure), ours by rejection from the
optimal density, DPPy's ``MultivariateJacobiOPE`` with Jacobi parameters 0 (the
same DPP: its first m multi-indices are the full tensor grid).

"Same law" is checked on a linear statistic whose expectation is exact: the share
of sampled points outside [-0.9, 0.9]^d, E = int_A k_m / m dmu (projection DPPs
have small variance for such statistics, so one sample is already close).

End to end: ``DPPWeightedLeastSquares(basis="legendre").fit`` on the raw pool
(features, orthonormalisation, one DPP sample of m rows, the weighted solve)
against the same fit done with DPPy, which is given the raw features too and
orthonormalises them itself: ``FiniteDPP("correlation", projection=True,
A_zono=F^T)`` (a Householder QR of F) and ``sample_exact("GS")``, then the
weighted solve with the weights m / k_m from its orthonormal basis. Quality: the
RMS error of each fit over the pool.

If DPPy is not installed, the peer is the textbook NumPy sampler on the
eigenvectors of K (given precomputed, like DPPy's ``K_eig_dec``; on the raw pool
it orthonormalises with ``numpy.linalg.qr``), and the peer's name says so.
"""

import warnings

import numpy as np

from benchmarks import Case, Contender, register_benchmark
from skpapers.sampling import (
    ContinuousSampler,
    DPPWeightedLeastSquares,
    PolynomialBasis,
    PoolSampler,
    legendre,
)
from skpapers.sampling._wls_solvers import weighted_least_squares


def _numpy_eig_projection_dpp(V, rng):
    """Textbook peer (Hough et al.; Kulesza & Taskar, Alg. 1) on the eigenvectors V
    of the projection kernel K = V V^T: pick i with probability ||V_i||^2 / r, keep
    the subspace of span(V) orthogonal to e_i, re-orthonormalise, repeat."""
    sample = []
    for _ in range(V.shape[1]):
        probabilities = np.sum(V**2, axis=1)
        i = rng.choice(len(probabilities), p=probabilities / probabilities.sum())
        sample.append(i)
        j = np.argmax(np.abs(V[i]))
        pivot = V[:, j] / V[i, j]
        V = np.delete(V - np.outer(pivot, V[i]), j, axis=1)
        if V.shape[1]:
            V, _ = np.linalg.qr(V)
    return np.array(sample)


def _legendre_mass_inside(degrees, half_width):
    """int_{-w}^{w} p_k^2 dmu for each k (uniform mu on [-1, 1]), by quadrature."""
    nodes, weights = np.polynomial.legendre.leggauss(int(max(degrees)) + 2)
    values = legendre(half_width * nodes, int(max(degrees)))[:, degrees] ** 2
    return half_width * (weights @ values) / 2


def _share_outside(points, half_width=0.9):
    points = np.asarray(points).reshape(len(points), -1)
    return float(np.mean(np.any(np.abs(points) > half_width, axis=1)))


def _finite_case(N, m, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(N, 1))
    sampler = PoolSampler(legendre(x[:, 0], m - 1))
    Q = sampler.orthonormal_basis
    exact = float(sampler.leverage[np.abs(x[:, 0]) > 0.9].sum() / m)
    label = f"finite N={N}, m={m}"
    state = {"ours": np.random.RandomState(seed), "peer": np.random.RandomState(seed)}

    def ours():
        return x[sampler.projection_dpp(state["ours"])]

    try:
        from dppy.finite_dpps import FiniteDPP
    except ImportError:

        def peer():
            return x[_numpy_eig_projection_dpp(Q, state["peer"])]

        peers = [("NumPy eigenvector sampler (DPPy missing)", peer)]
    else:
        on_kernel = FiniteDPP("correlation", projection=True, K=Q @ Q.T)
        on_vectors = FiniteDPP(
            "correlation", projection=True, K_eig_dec=(np.ones(m), Q)
        )

        def peer_kernel():
            return x[on_kernel.sample_exact("GS", random_state=state["peer"])]

        def peer_vectors():
            return x[on_vectors.sample_exact("GS", random_state=state["peer"])]

        peers = [
            ("DPPy FiniteDPP(K).sample_exact('GS')", peer_kernel),
            ("DPPy FiniteDPP(K_eig_dec).sample_exact('GS')", peer_vectors),
        ]
    for name, peer in peers:
        yield Case(
            label=label + (", N x N kernel" if "(K)" in name else ""),
            ours=Contender("skpapers PoolSampler.projection_dpp", ours),
            peer=Contender(name, peer),
            quality=_share_outside,
            quality_name=f"share abs(x) > 0.9 (exact {exact:.4f})",
        )


def _fit_case(N, m, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(N, 1))
    y = np.exp(x[:, 0]) * np.sin(3 * x[:, 0])
    state = {"ours": np.random.RandomState(seed), "peer": np.random.RandomState(seed)}

    def ours():
        model = DPPWeightedLeastSquares(
            basis="legendre", degree=m - 1, random_state=state["ours"]
        )
        return model.fit(x, y).predict(x)

    try:
        from dppy.finite_dpps import FiniteDPP
    except ImportError:
        name = "NumPy QR + eigenvector sampler + lstsq (DPPy missing)"

        def orthonormal_sample(F):
            Q = np.linalg.qr(F)[0]
            return Q, _numpy_eig_projection_dpp(Q, state["peer"])

    else:
        name = "DPPy FiniteDPP(A_zono=F.T).sample_exact('GS') + lstsq"

        def orthonormal_sample(F):
            dpp = FiniteDPP("correlation", projection=True, A_zono=F.T)
            with warnings.catch_warnings():  # DPPy suggests MCMC for A_zono
                warnings.simplefilter("ignore")
                rows = dpp.sample_exact("GS", random_state=state["peer"])
            return dpp.eig_vecs, np.asarray(rows)

    def peer():
        F = legendre(x[:, 0], m - 1)
        Q, rows = orthonormal_sample(F)
        weights = m / (N * np.sum(Q[rows] ** 2, axis=1))
        return F @ weighted_least_squares(F[rows], y[rows], weights)

    yield Case(
        label=f"fit end to end, raw pool N={N}, m={m}",
        ours=Contender("skpapers DPPWeightedLeastSquares.fit + predict", ours),
        peer=Contender(name, peer),
        quality=lambda prediction: float(np.sqrt(np.mean((prediction - y) ** 2))),
        quality_name="RMS error of the fit over the pool",
    )


def _continuous_case(degree, seed=0):
    basis = PolynomialBasis("legendre", degree=degree, n_dims=2, index_set="tensor")
    m = basis.n_basis
    sampler = ContinuousSampler(basis)
    inside = _legendre_mass_inside(basis.multi_indices.ravel(), 0.9).reshape(-1, 2)
    exact = float(1 - np.mean(np.prod(inside, axis=1)))
    state = {"ours": np.random.RandomState(seed), "peer": np.random.RandomState(seed)}

    def ours():
        return sampler.projection_dpp(state["ours"])

    try:
        from dppy.multivariate_jacobi_ope import MultivariateJacobiOPE
    except ImportError:
        return
    ope = MultivariateJacobiOPE(m, np.zeros((2, 2)))

    def peer():
        return ope.sample(random_state=state["peer"])

    yield Case(
        label=f"continuous d=2, m={m}",
        ours=Contender("skpapers ContinuousSampler.projection_dpp", ours),
        peer=Contender("DPPy MultivariateJacobiOPE.sample", peer),
        quality=_share_outside,
        quality_name=f"share max abs(x_i) > 0.9 (exact {exact:.4f})",
    )


@register_benchmark("dpp_wls")
def cases(smoke):
    if smoke:
        yield from _finite_case(2_000, 20)
        yield from _fit_case(2_000, 20)
        yield from _continuous_case(3)
        return
    yield from _finite_case(20_000, 100)
    yield from _fit_case(20_000, 100)
    yield from _continuous_case(9)
