"""KroneckerSBL against ARDRegression and OrthogonalMatchingPursuit.

At the paper's default point (3 factors of 15 atoms, M = (8, 12, 15), 3 non-zeros
per factor, 25 dB) the SVD and AM solvers are compared with scikit-learn's
ARDRegression (classic SBL, blind to the structure) on one problem and with OMP
told the true number of non-zeros over five problems (median NMSE). The scale point,
3 factors of 32 atoms (32,768 atoms, M = (16, 24, 32)), is out of ARD's reach: OMP
needs the explicit 12,288 x 32,768 dictionary, KroneckerSBL only its factors.

The IRS case is the paper's application (:func:`skpapers.datasets.make_irs_channel`,
12 dB, M = 288, N = 5,832, complex, known noise variance, at most 150 iterations,
the authors' per-mode pruning as in ``reproduce kronecker_sbl``): SVD-KroSBL against
classic SBL on the explicit dictionary (KroneckerSBL with one factor: what a user
without the structure would run), AM- and PC-KroSBL against OMP told the true
number of non-zeros (scikit-learn's OMP is real only: it runs on the real form of
the complex system, with 18 non-zeros), scored by the paper's channel NMSE. A
last IRS case times PC-KroSBL's M-step choice on the same problem: the numba
kernel (with its own NNLS) against the array-API reference ``m_step_am`` (NumPy
calls and :func:`scipy.optimize.nnls`), which compute the same update.
"""

import warnings
from unittest import mock

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ARDRegression, OrthogonalMatchingPursuit

from benchmarks import Case, Contender, register_benchmark
from skpapers import KroneckerSBL
from skpapers.datasets import make_irs_channel, make_kronecker_sparse
from skpapers.datasets._irs import channel_nmse
from skpapers.experiments.kronecker_sbl import _IRS_METHODS
from skpapers.linear_model import _sbl_solvers
from skpapers.utils._kronecker import kron


def _nmse_db(estimate, truth):
    return float(
        10
        * np.log10(np.sum(np.abs(estimate - truth) ** 2) / np.sum(np.abs(truth) ** 2))
    )


def _ours(factors, y, solver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KroneckerSBL(solver=solver).fit(None, y, factors=factors).coef_


def _ard(X, y):
    return ARDRegression(fit_intercept=False).fit(X, y).coef_


def _omp(factors, y, n_nonzero):
    # the user of OMP has to form the dictionary: that is part of its cost
    X = kron(factors)
    omp = OrthogonalMatchingPursuit(n_nonzero_coefs=n_nonzero, fit_intercept=False)
    return omp.fit(X, y).coef_


def _irs_fit(data, params, factors=None):
    est = KroneckerSBL(noise_variance=data.noise_variance, max_iter=150, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(None, data.y, factors=factors or data.factors).coef_


def _irs_cases(smoke):
    if smoke:
        sizes = dict(n_ms_antennas=2, n_bs_antennas=4, n_irs_elements=16, n_grid=6)
    else:
        sizes = {}
    data = make_irs_channel(**sizes, snr_db=12, random_state=0)
    dictionary = kron(data.factors)
    n_nonzero = int(np.count_nonzero(data.coef))
    label = (
        f"IRS-MIMO, M={dictionary.shape[0]}, N={dictionary.shape[1]}, complex, 12 dB"
    )

    def quality(out):
        return channel_nmse(data.channel_factors, out, data.channel)

    def omp():
        # scikit-learn's OMP is real only: the user solves the real equivalent
        # [Re A, -Im A; Im A, Re A] [Re x; Im x] = [Re y; Im y], 2k non-zeros,
        # after forming the dictionary (part of its cost)
        a = kron(data.factors)
        real = np.block([[a.real, -a.imag], [a.imag, a.real]])
        est = OrthogonalMatchingPursuit(
            n_nonzero_coefs=2 * n_nonzero, fit_intercept=False
        )
        coef = est.fit(real, np.concatenate([data.y.real, data.y.imag])).coef_
        return coef[: a.shape[1]] + 1j * coef[a.shape[1] :]

    peers = {
        "SVD-KroSBL": Contender(
            "classic SBL (explicit dictionary)",
            lambda: _irs_fit(data, {}, [kron(data.factors)]),
        ),
        "AM-KroSBL": Contender(f"OMP (real form, k={2 * n_nonzero} given)", omp),
        "PC-KroSBL (beta=0.8)": Contender(
            f"OMP (real form, k={2 * n_nonzero} given)", omp
        ),
    }
    for method, peer in peers.items():
        params = _IRS_METHODS[method]
        yield Case(
            label=label,
            ours=Contender(method, lambda params=params: _irs_fit(data, params)),
            peer=peer,
            quality=quality,
            quality_name="channel NMSE",
        )

    pc = _IRS_METHODS["PC-KroSBL (beta=0.8)"]

    def reference_m_step():
        # the path a non-NumPy namespace takes, run on NumPy arrays
        reference = _sbl_solvers.m_step_am
        with mock.patch.object(_sbl_solvers, "_m_step_am_fastest", reference):
            return _irs_fit(data, pc)

    yield Case(
        label=label,
        ours=Contender("PC-KroSBL, numba M-step", lambda: _irs_fit(data, pc)),
        peer=Contender("PC-KroSBL, m_step_am + scipy NNLS", reference_m_step),
        quality=quality,
        quality_name="channel NMSE",
    )


@register_benchmark("kronecker_sbl")
def cases(smoke):
    if smoke:
        default = dict(n_measurements=(3, 4, 4), n_atoms=(5, 5, 5), n_nonzero=2)
        scale = dict(n_measurements=(6, 8, 8), n_atoms=(10, 10, 10), n_nonzero=2)
        seeds = range(2)
    else:
        default = dict(n_measurements=(8, 12, 15), n_atoms=(15, 15, 15), n_nonzero=3)
        scale = dict(n_measurements=(16, 24, 32), n_atoms=(32, 32, 32), n_nonzero=3)
        seeds = range(5)
    size = f"N={default['n_atoms']}, M={default['n_measurements']}, 25 dB"

    factors, y, coef = make_kronecker_sparse(
        **default, snr_db=25, as_factors=True, random_state=0
    )
    X = kron(factors)
    yield Case(
        label=f"{size}, seed 0",
        ours=Contender("KroneckerSBL(svd)", lambda: _ours(factors, y, "svd")),
        peer=Contender("ARDRegression", lambda: _ard(X, y)),
        quality=lambda out: _nmse_db(out, coef),
        quality_name="NMSE dB",
    )

    problems = [
        make_kronecker_sparse(**default, snr_db=25, as_factors=True, random_state=s)
        for s in seeds
    ]
    n_nonzero = int(np.count_nonzero(problems[0][2]))
    truths = [p[2] for p in problems]

    def median_nmse(outputs):
        return float(np.median([_nmse_db(o, t) for o, t in zip(outputs, truths)]))

    def omp_all():
        return [_omp(f, y_, n_nonzero) for f, y_, _ in problems]

    for solver in ("svd", "am"):
        yield Case(
            label=f"{size}, median of {len(truths)} seeds",
            ours=Contender(
                f"KroneckerSBL({solver})",
                lambda solver=solver: [_ours(f, y_, solver) for f, y_, _ in problems],
            ),
            peer=Contender(f"OMP (k={n_nonzero} given)", omp_all),
            quality=median_nmse,
            quality_name="median NMSE dB",
        )

    factors_s, y_s, coef_s = make_kronecker_sparse(
        **scale, snr_db=25, as_factors=True, random_state=0
    )
    n_atoms = int(np.prod(scale["n_atoms"]))
    k_s = int(np.count_nonzero(coef_s))
    yield Case(
        label=f"{n_atoms} atoms, M={scale['n_measurements']}, 25 dB",
        ours=Contender("KroneckerSBL(svd)", lambda: _ours(factors_s, y_s, "svd")),
        peer=Contender(f"OMP (k={k_s} given)", lambda: _omp(factors_s, y_s, k_s)),
        quality=lambda out: _nmse_db(out, coef_s),
        quality_name="NMSE dB",
    )

    yield from _irs_cases(smoke)
