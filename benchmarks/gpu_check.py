"""GPU check: every array-API and torch-device path of skpapers, on a real GPU.

``python -m benchmarks.gpu_check [--dry-run] [--small] [--json PATH] [--only NAME]
[--repeat N]``; a session with a GPU runs::

    SCIPY_ARRAY_API=1 python -m benchmarks.gpu_check --small && \\
    SCIPY_ARRAY_API=1 python -m benchmarks.gpu_check --json gpu_check.json

For every estimator of :func:`skpapers.utils.all_estimators` whose tags declare
``array_api_support`` (derived, so a new one is never forgotten: one without a
spec in ``SPECS`` is reported as a failure), plus the projection-DPP sampler on a
pool, the script fits once on NumPy (the numba / NumPy CPU path, array-API
dispatch off) and once on CuPy arrays under ``sklearn.config_context(
array_api_dispatch=True)``, and for every estimator with a torch ``device``
parameter once with ``device="cpu"`` and once with ``device="cuda"``. Each row
checks that

* the fitted arrays and the predictions live on the GPU (array namespace and
  device; for the torch estimators, the device the network trained on);
* they agree with the CPU fit to a per-case tolerance (``Spec.tolerance``, with
  the reason for each);

and times both: the CPU fit once at full size after a warm-up at a small size
(numba compilation, torch start-up), the GPU fit as the median of ``--repeat``
fits after one full-size warm-up (CUDA kernel compilation), with
``cupy.cuda.Device().synchronize()`` (and ``torch.cuda.synchronize()``) around
each. It prints one Markdown table and writes the rows as JSON; the exit status
is 0 only if every row passes.

Each case is one :class:`Spec` in ``SPECS`` (its data at small and full size,
estimator parameters, the fitted attributes compared, the tolerance); the one
runner :func:`run_case` does the rest. ``--small`` runs the small sizes on the
GPU (a quick smoke run before the full one). ``--dry-run`` proves the script's
logic without a GPU: array_api_strict on its non-CPU ``"device1"`` stands in
for CuPy (arrays there cannot silently become NumPy arrays, so the on-device
checks mean something) and ``"cpu"`` for ``"cuda"``, at the small sizes.
Without ``--dry-run``, the script exits with a message and status 2 when CuPy
(``cupy-cuda12x`` or ``cupy-cuda13x``) or a CUDA device is missing. A preflight
then checks the other packages the rows need (``array-api-compat`` and
scikit-learn >= 1.6 for the array-API rows, torch with CUDA for the
torch-device rows, skorch for the unfolded networks) and prints what is
missing; each row that needs a missing package fails with that message instead
of a traceback, and the other rows still run.

Sizes (``SIZES["full"]``) are the issue's: KroneckerSBL with 32^3 atoms,
SketchedLinearRegression at n = 2^22, d = 256 (SRHT through the array-API FWHT),
OnlineOrthogonalDictionaryLearning at n = 256, DPP sampling on a pool of 10^6,
the torch estimators with ``device="cuda"``. To keep the whole run within a few
minutes of GPU-machine time, the CPU references are kept affordable: one CPU fit
per case, one pass of ODL over 8,192 samples (32 Frank-Wolfe steps), two epochs
of the torch estimators, and the big data drawn on the GPU and copied to the
host instead of drawn by NumPy. The timings compare the default CPU path with
the GPU path on the same work; they are not a benchmark of the methods.
"""

import os

# scikit-learn's array-API dispatch needs SciPy's, switched on before SciPy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse
import importlib.util
import inspect
import json
import platform
import re
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import numpy as np
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import get_tags

from skpapers.utils import all_estimators, get_namespace, to_numpy
from skpapers.utils import device as array_device
from skpapers.utils import markdown_table as _markdown_table

from ._harness import measure

SIZES = {
    "full": {
        "ksbl": ((16, 24, 32), (32, 32, 32)),
        "sketch": (2**22, 256, 4096),
        "odl": (256, 8192),
        "nb": (2**18, 256, 10),
        "pool": (10**6, 10),
        "unfolded": (8192, 128, 256, 256),
        "mlp": (2**15, 64, (256, 256), 512),
    },
    "small": {
        "ksbl": ((3, 4, 4), (5, 5, 5)),
        "sketch": (4096, 8, 128),
        "odl": (8, 512),
        "nb": (600, 8, 3),
        "pool": (2000, 3),
        "unfolded": (256, 16, 32, 64),
        "mlp": (512, 8, (16,), 64),
    },
}


def gpu_estimators():
    """``(array_api, torch_device)``: names of the estimators this script covers.

    ``array_api``: the estimators whose tags declare ``array_api_support``;
    ``torch_device``: the others with a ``device`` constructor parameter.
    """
    array_api, torch_device = [], []
    for name, cls in all_estimators():
        if get_tags(cls()).array_api_support:
            array_api.append(name)
        elif "device" in inspect.signature(cls).parameters:
            torch_device.append(name)
    return array_api, torch_device


# ----------------------------------------------------------------------------
# the device: CuPy on a GPU, or array_api_strict's "device1" for the dry run


@dataclass
class Backend:
    """Where the GPU side runs: its array namespace, device and torch device."""

    name: str
    xp: object
    device: object
    torch_device: str
    dry_run: bool
    #: requirement -> what is wrong with it on this machine (see :func:`preflight`)
    missing: dict = field(default_factory=dict)

    def asarray(self, a):
        if self.dry_run:
            return self.xp.asarray(a, device=self.device)
        return self.xp.asarray(a)

    def normal(self, shape, seed):
        """``(host, device)`` copies of standard normal data (drawn on the GPU)."""
        if self.dry_run:
            host = np.random.default_rng(seed).standard_normal(shape)
            return host, self.asarray(host)
        data = self.xp.random.RandomState(seed).standard_normal(shape)
        return data.get(), data

    def synchronize(self):
        if self.dry_run:
            return
        self.xp.cuda.Device().synchronize()
        if "torch" in sys.modules:
            import torch

            if torch.cuda.is_initialized():
                torch.cuda.synchronize()

    def free(self):
        if self.dry_run:
            return
        self.xp.get_default_memory_pool().free_all_blocks()
        if "torch" in sys.modules:
            import torch

            torch.cuda.empty_cache()

    def on_device(self, *arrays):
        """Whether every array is of this backend's namespace, on its device."""
        reference = self.asarray(np.zeros(1))
        with config_context(array_api_dispatch=True):
            expected = get_namespace(reference)[0].__name__
            for a in arrays:
                try:
                    namespace = get_namespace(a)[0].__name__
                except TypeError:
                    return False
                if namespace != expected or array_device(a) != array_device(reference):
                    return False
        return True

    def description(self):
        if self.dry_run:
            return "dry run: array_api_strict 'device1' for CuPy, 'cpu' for 'cuda'"
        props = self.xp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)


def dry_run_backend():
    import array_api_strict

    return Backend(
        name="array_api_strict",
        xp=array_api_strict,
        device=array_api_strict.Device("device1"),
        torch_device="cpu",
        dry_run=True,
        missing=preflight(cuda=False),
    )


# The Python packages the GPU rows need besides CuPy, checked before any row runs
# (a GPU image may have CuPy and a CUDA torch but not the others).
ARRAY_API_COMPAT = "array-api-compat"
SKLEARN_1_6 = "scikit-learn>=1.6"
SKORCH = "skorch"
TORCH_CUDA = "torch (CUDA build)"
INSTALL_HINT = {
    ARRAY_API_COMPAT: "pip install array-api-compat",
    SKLEARN_1_6: "pip install 'scikit-learn>=1.6'",
    SKORCH: "pip install skorch",
    TORCH_CUDA: "install the CUDA build of torch matching the driver",
}


def preflight(cuda=True):
    """``{requirement: problem}`` for each requirement this machine lacks.

    Checks ``array_api_compat`` (every array-API row: scikit-learn's dispatch
    goes through it), scikit-learn >= 1.6 (``array_api_dispatch`` with SciPy's
    support, ``validate_data``), skorch (the unfolded networks) and torch, with a
    CUDA device when ``cuda`` (the torch-device rows). Nothing is imported that
    a row would not import anyway.
    """
    missing = {}
    if importlib.util.find_spec("array_api_compat") is None:
        missing[ARRAY_API_COMPAT] = "not installed"
    import sklearn

    version = tuple(int(part) for part in re.findall(r"\d+", sklearn.__version__)[:2])
    if version < (1, 6):
        missing[SKLEARN_1_6] = f"found scikit-learn {sklearn.__version__}"
    if importlib.util.find_spec("skorch") is None:
        missing[SKORCH] = "not installed"
    if importlib.util.find_spec("torch") is None:
        missing[TORCH_CUDA] = "torch is not installed"
    elif cuda:
        import torch

        if not torch.cuda.is_available():
            missing[TORCH_CUDA] = (
                f"torch {torch.__version__} finds no CUDA device "
                f"(built for CUDA {torch.version.cuda})"
            )
    return missing


def requirements(name, kind):
    """The :func:`preflight` requirements of one row."""
    if kind.startswith("array API"):
        return [ARRAY_API_COMPAT, SKLEARN_1_6]
    return [TORCH_CUDA] + ([SKORCH] if name.startswith("Unfolded") else [])


def missing_message(missing, needs=None):
    """One line naming the missing requirements (of ``needs``) and their fix."""
    names = [r for r in (needs or missing) if r in missing]
    return "; ".join(f"{r}: {missing[r]} ({INSTALL_HINT[r]})" for r in names)


def cupy_backend():
    """The CuPy backend, or a ``RuntimeError`` saying what is missing."""
    try:
        import cupy
    except ImportError as exc:
        raise RuntimeError(
            "gpu_check needs CuPy and a CUDA GPU, and CuPy is not installed "
            f"({exc}). Install cupy-cuda12x or cupy-cuda13x (matching the CUDA "
            "driver), and a CUDA build of torch, on the GPU machine, or run "
            "`python -m benchmarks.gpu_check --dry-run` to check the script's "
            "logic on the CPU."
        ) from None
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError without a driver
        n_devices, reason = 0, str(exc)
    else:
        reason = "no device found"
    if n_devices == 0:
        raise RuntimeError(
            f"gpu_check needs a CUDA GPU, and CuPy finds none ({reason}). Run "
            "`python -m benchmarks.gpu_check --dry-run` to check the script's "
            "logic on the CPU."
        )
    missing = preflight(cuda=True)
    status = (
        f" (CuPy {cupy.__version__}, {n_devices} CUDA device(s)): MISSING "
        f"{missing_message(missing)}. The rows that need them fail with this "
        "message; the others run."
        if missing
        else f": CuPy {cupy.__version__}, array-api-compat, scikit-learn>=1.6, "
        "skorch and torch with CUDA all present."
    )
    print(f"gpu_check preflight{status}", file=sys.stderr, flush=True)
    return Backend(
        name="cupy",
        xp=cupy,
        device=cupy.cuda.Device(0),
        torch_device="cuda",
        dry_run=False,
        missing=missing,
    )


# ----------------------------------------------------------------------------
# measuring


def time_cpu(run, warm_up=None):
    """``(output, seconds)`` of one CPU run, after an untimed small warm-up."""
    timing = measure(run, 1, warm_up=warm_up or (lambda: None), trace_memory=False)
    return timing["output"], timing["seconds"]


def time_gpu(run, backend, repeat, dispatch=True):
    """``(output, median seconds)`` of ``repeat`` runs after one warm-up run."""
    with config_context(array_api_dispatch=dispatch):
        timing = measure(
            run,
            repeat,
            warm_up=run,
            synchronize=backend.synchronize,
            trace_memory=False,
        )
    return timing["output"], timing["seconds"]


def max_abs_diff(cpu_arrays, gpu_arrays):
    """Largest ``|cpu - gpu|`` over pairs of arrays (the GPU ones copied back)."""
    worst = 0.0
    for expected, actual in zip(cpu_arrays, gpu_arrays, strict=True):
        expected = np.asarray(expected)
        actual = np.asarray(to_numpy(actual))
        if expected.shape != actual.shape:
            return float("inf")
        if expected.size:
            worst = max(worst, float(np.max(np.abs(expected - actual))))
    return worst


def fitted_arrays(cpu_estimator, gpu_estimator):
    """The GPU fit's counterparts of every NumPy array attribute of the CPU fit.

    ``classes_`` is left out: class labels may stay NumPy (strings).
    """
    return [
        getattr(gpu_estimator, key)
        for key, value in vars(cpu_estimator).items()
        if isinstance(value, np.ndarray) and key != "classes_"
    ]


@contextmanager
def _record_mlp_device():
    """Record the torch device the EnsLoss MLP trains on (``check_device``).

    The MLP's torch parameters live only inside the training loop (the fitted
    weights are NumPy), so, unlike the unfolded networks' ``net_.module_``, there
    is no fitted tensor whose device could be read afterwards: the device that
    ``check_device`` hands the loop is the best evidence available.
    """
    from skpapers.ensemble import _torch_training

    seen, original = [], _torch_training.check_device

    def recording(device):
        resolved = original(device)
        seen.append(resolved.type)
        return resolved

    _torch_training.check_device = recording
    try:
        yield seen
    finally:
        _torch_training.check_device = original


# ----------------------------------------------------------------------------
# the cases: one spec per estimator (by class name), and the pool sampler


@dataclass
class Data:
    """What one case fits: the size label, fit arguments and parameters."""

    size: str
    cpu: tuple  #: the fit arguments on the host
    warm: tuple  #: small host arguments for the untimed CPU warm-up
    gpu: tuple = None  #: the same on the device (default: the host ones)
    params: dict = field(default_factory=dict)  #: of both fits
    cpu_params: dict = field(default_factory=dict)  #: of the CPU fits only
    warm_params: dict = field(default_factory=dict)  #: of the warm-up only


def fit_then(method, rows=1000, name=None):
    """``fit(name, params, args)``: fit skpapers' ``name``, then ``method`` on
    the first ``rows`` rows of the first argument; ``(estimator, output)``."""

    def fit(case_name, params, args):
        cls = getattr(import_module("skpapers"), name or case_name)
        est = cls(**params).fit(*args)
        X = args[0]
        return est, getattr(est, method)(X[: min(rows, X.shape[0]), ...])

    return fit


@dataclass(frozen=True)
class Spec:
    """One case. ``data(backend, sizes) -> Data``; ``fit(name, params, args) ->
    (fitted, output)``; ``compare(fitted)``: the fitted arrays compared besides
    the output; ``placed(fitted)``: the GPU arrays whose placement is checked
    besides the output (default: every array attribute, :func:`fitted_arrays`);
    ``devices(fitted, seen)``: torch rows, the devices the network trained on
    (``seen``: what ``check_device`` handed out); ``note(cpu=, gpu=,
    devices=)``: the row's note; ``sampler``: not an estimator, checked as well.
    """

    data: Callable
    tolerance: float
    reason: str
    fit: Callable = fit_then("predict")
    compare: Callable = lambda est: []
    placed: Callable | None = None
    devices: Callable | None = None
    note: Callable | None = None
    sampler: bool = False


def _ksbl_data(backend, sizes):
    from skpapers.datasets import make_kronecker_sparse

    m, atoms = sizes["ksbl"]
    factors, y, _ = make_kronecker_sparse(
        m, atoms, 3, snr_db=25, as_factors=True, random_state=0
    )
    small, y_small, _ = make_kronecker_sparse(
        (3, 4, 4), (5, 5, 5), 2, as_factors=True, random_state=0
    )
    return Data(
        size=f"{int(np.prod(atoms))} atoms ({'x'.join(map(str, atoms))}), "
        f"M={'x'.join(map(str, m))}",
        cpu=(factors, y),
        gpu=([backend.asarray(f) for f in factors], backend.asarray(y)),
        warm=(small, y_small),
    )


def _ksbl_fit(name, params, args):
    from skpapers import KroneckerSBL

    factors, y = args
    est = KroneckerSBL(**params).fit(None, y, factors=factors)
    return est, est.predict(factors=factors)


def _sketch_data(backend, sizes):
    n, d, m = sizes["sketch"]
    X, X_d = backend.normal((n, d), seed=0)
    coef = np.random.default_rng(1).standard_normal(d) / np.sqrt(d)
    y = X @ coef + 0.5 + 0.1 * np.random.default_rng(2).standard_normal(n)
    return Data(
        size=f"n=2^{int(np.log2(n))}, d={d}, SRHT m={m}",
        cpu=(X, y),
        gpu=(X_d, backend.asarray(y)),
        warm=(X[:4096], y[:4096]),
        params=dict(sketch="srht", sketch_size=m, random_state=0),
        warm_params=dict(sketch_size=min(m, 64)),
    )


def _odl_data(backend, sizes):
    from skpapers.datasets import make_orthogonal_sparse

    n_features, n_samples = sizes["odl"]
    X, _, _ = make_orthogonal_sparse(n_samples, n_features, random_state=0)
    small, _, _ = make_orthogonal_sparse(512, 8, random_state=0)
    return Data(
        size=f"n={n_features}, {n_samples} samples, batch 256, one pass",
        cpu=(X,),
        gpu=(backend.asarray(X),),
        warm=(small,),
        params=dict(max_iter=1, random_state=0),
    )


def _nb_data(backend, sizes):
    n, d, n_classes = sizes["nb"]
    X, X_d = backend.normal((n, d), seed=3)
    y = np.arange(n) % n_classes
    shift = np.random.default_rng(4).standard_normal((n_classes, d))[y]
    return Data(
        size=f"n={n}, d={d}, {n_classes} classes",
        cpu=(X + shift, y),
        gpu=(X_d + backend.asarray(shift), backend.asarray(y)),
        warm=((X + shift)[:100], y[:100]),
    )


def _pool(backend, sizes):
    n_candidates, degree = sizes["pool"]
    rng = np.random.default_rng(5)
    P = rng.uniform(-1.0, 1.0, size=(n_candidates, 2))
    y = np.exp(P[:, 0]) * np.cos(3.0 * P[:, 1])
    return P, y, backend.asarray(P), backend.asarray(y), degree


def _dpp_data(backend, sizes):
    P, y, P_d, y_d, degree = _pool(backend, sizes)
    m = (degree + 1) * (degree + 2) // 2
    return Data(
        size=f"pool N={len(P)}, Legendre degree {degree} (m={m}), "
        f"{2 * m} i.i.d. optimal points",
        cpu=(P, y),
        gpu=(P_d, y_d),
        warm=(P[:500], y[:500]),
        params=dict(
            basis="legendre",
            degree=degree,
            sampling="iid_optimal",
            n_samples=2 * m,
            random_state=0,
        ),
    )


def _sampler_data(backend, sizes):
    from skpapers.sampling import PolynomialBasis

    P, _, P_d, _, degree = _pool(backend, sizes)
    m = PolynomialBasis("legendre", degree, 2).n_basis
    return Data(
        size=f"pool N={len(P)}, m={m} (features, basis, one sample)",
        cpu=(P,),
        gpu=(P_d,),
        warm=(P[:500],),
        params=dict(degree=degree),
        cpu_params=dict(method="gram_schmidt"),
    )


def _sampler_fit(name, params, args):
    """Legendre features of the pool, the sampler's basis and one DPP sample."""
    from skpapers.sampling import PolynomialBasis, PoolSampler

    params = dict(params)
    basis = PolynomialBasis("legendre", params.pop("degree"), 2)
    sampler = PoolSampler(basis.evaluate(args[0]), **params)
    return sampler, sampler.projection_dpp(random_state=0)


def _sampler_note(cpu, **_):
    cpu.method = "rejection"  # the NumPy default, once the basis is built
    _, rejection_s = time_cpu(lambda: cpu.projection_dpp(random_state=0))
    return (
        "CPU: numba Gram-Schmidt chain rule; the NumPy default (rejection) "
        f"draws a sample in {rejection_s:.3g} s once the basis exists"
    )


def _unfolded_data(backend, sizes):
    from skpapers.datasets import make_sparse_recovery

    n_samples, n_measurements, n_components, batch = sizes["unfolded"]
    Y, X, A = make_sparse_recovery(
        n_samples,
        n_measurements=n_measurements,
        n_components=n_components,
        random_state=0,
    )
    return Data(
        size=f"{n_samples} signals, A {n_measurements}x{n_components}, "
        f"10 layers, 2 epochs, batch {batch}",
        cpu=(Y, X),
        warm=(Y[:64], X[:64]),
        params=dict(
            measurement_matrix=A,
            n_layers=10,
            incremental=False,
            max_epochs=2,
            batch_size=batch,
            random_state=0,
        ),
        warm_params=dict(n_layers=2, max_epochs=1),
    )


def _mlp_data(backend, sizes):
    n, d, hidden, batch = sizes["mlp"]
    X = np.random.default_rng(6).standard_normal((n, d))
    y = (X[:, :3].sum(axis=1) + 0.5 * X[:, 3] ** 2 > 0.5).astype(int)
    return Data(
        size=f"n={n}, d={d}, hidden {hidden}, 2 epochs, batch {batch}",
        cpu=(X, y),
        warm=(X[:64], y[:64]),
        params=dict(
            hidden_layer_sizes=hidden,
            max_epochs=2,
            batch_size=batch,
            random_state=0,
        ),
    )


def _net_data(backend, sizes):
    """The MLP case as a torch module (``EnsLossNetClassifier``'s default)."""
    data = _mlp_data(backend, sizes)
    hidden = data.params.pop("hidden_layer_sizes")
    data.params["module_params"] = {"hidden_layer_sizes": hidden}
    return data


_UNFOLDED = dict(
    data=_unfolded_data,
    tolerance=1e-6,
    reason="same seed and batches; float64 Adam on cuBLAS against CPU BLAS",
    compare=lambda est: [est.thresholds_],
    devices=lambda est, seen: {p.device.type for p in est.net_.module_.parameters()},
    note=lambda devices, **_: f"network parameters on {devices}",
)

# Largest |CPU - GPU| accepted per case (the data are scaled to O(1) values).
SPECS = {
    "DPPWeightedLeastSquares": Spec(
        data=_dpp_data,
        tolerance=1e-8,
        reason="same i.i.d. points (host uniforms, same leverage CDF); LAPACK "
        "gelsd against QR + SVD on the device for a 2m x m weighted solve",
        fit=fit_then("predict", rows=10_000),
        compare=lambda est: [est.sample_indices_],
    ),
    "KroneckerSBL": Spec(
        data=_ksbl_data,
        tolerance=1e-6,
        reason="same EM iterations in float64; rounding differs in the factor SVDs",
        fit=_ksbl_fit,
        compare=lambda est: [est.coef_],
        note=lambda cpu, gpu, **_: (
            f"{cpu.n_iter_} EM iterations on the CPU, {gpu.n_iter_} on the GPU"
        ),
    ),
    "OnlineOrthogonalDictionaryLearning": Spec(
        data=_odl_data,
        tolerance=1e-6,
        reason="same random start and shuffles; 32 Frank-Wolfe steps of float64 "
        "SVDs and products",
        fit=fit_then("transform"),
        compare=lambda est: [est.components_],
    ),
    "PooledGaussianNB": Spec(
        data=_nb_data,
        tolerance=1e-8,
        reason="closed-form statistics, float64 sums",
        fit=fit_then("predict_proba"),
        compare=lambda est: [est.theta_],
    ),
    "PoolSampler.projection_dpp": Spec(
        data=_sampler_data,
        tolerance=0.0,
        reason="the chain rule is fed the same host uniforms: the very same rows "
        "(largest difference of the row indices)",
        fit=_sampler_fit,
        placed=lambda sampler: [sampler.orthonormal_basis, sampler.leverage],
        note=_sampler_note,
        sampler=True,
    ),
    "SketchedLinearRegression": Spec(
        data=_sketch_data,
        tolerance=1e-8,
        reason="the same SRHT S (host signs and rows); only the order of the FWHT "
        "sums and the small solve differ",
        fit=fit_then("predict", rows=10_000),
        compare=lambda est: [est.coef_, [est.intercept_]],
    ),
    "EnsLossMLPClassifier": Spec(
        data=_mlp_data,
        tolerance=1e-6,
        reason="same initial weights, batches and random loss derivatives; "
        "float64 SGD on cuBLAS against CPU BLAS for two epochs",
        fit=fit_then("decision_function"),
        compare=lambda est: [est.coefs_[0]],
        devices=lambda est, seen: set(seen),
        note=lambda devices, **_: (
            f"trained on {devices}; fitted weights are NumPy by design"
        ),
    ),
    "EnsLossNetClassifier": Spec(
        data=_net_data,
        tolerance=1e-6,
        reason="same initial weights, batches and random loss derivatives; "
        "float64 SGD on cuBLAS against CPU BLAS for two epochs",
        fit=fit_then("decision_function"),
        compare=lambda est: [next(est.module_.parameters()).detach().numpy()],
        devices=lambda est, seen: set(seen),
        note=lambda devices, **_: (
            f"trained on {devices}; the module is moved back to the CPU after training"
        ),
    ),
    "UnfoldedIHT": Spec(**_UNFOLDED),
    "UnfoldedISTA": Spec(**_UNFOLDED),
}


# ----------------------------------------------------------------------------
# running and reporting


def check(name, spec, torch, backend, sizes, repeat):
    """Fit, place, compare and time one case; the row's measured fields."""
    data = spec.data(backend, sizes)
    cpu_params = {**data.params, **data.cpu_params}
    gpu_params = dict(data.params)
    if torch:
        cpu_params["device"], gpu_params["device"] = "cpu", backend.torch_device

    def fit(params, args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return spec.fit(name, params, args)

    (cpu, out), cpu_s = time_cpu(
        lambda: fit(cpu_params, data.cpu),
        lambda: fit({**cpu_params, **data.warm_params}, data.warm),
    )
    with _record_mlp_device() if torch else nullcontext([]) as seen:
        (gpu, out_d), gpu_s = time_gpu(
            lambda: fit(gpu_params, data.gpu or data.cpu),
            backend,
            repeat,
            dispatch=not torch,
        )
    devices = None
    if torch:
        devices = spec.devices(gpu, seen)
        on_device = bool(devices) and devices == {backend.torch_device}
    else:
        placed = spec.placed(gpu) if spec.placed else fitted_arrays(cpu, gpu)
        on_device = backend.on_device(*placed, out_d)
    note = (
        spec.note(cpu=cpu, gpu=gpu, devices=sorted(devices or ())) if spec.note else ""
    )
    diff = max_abs_diff([*spec.compare(cpu), out], [*spec.compare(gpu), out_d])
    return dict(
        size=data.size,
        cpu_s=cpu_s,
        gpu_s=gpu_s,
        speedup=cpu_s / gpu_s if gpu_s else float("inf"),
        max_abs_diff=diff,
        on_device=bool(on_device),
        note=note,
        passed=bool(on_device) and diff <= spec.tolerance,
    )


def run_case(name, kind, backend, sizes, repeat):
    """One result row; a missing spec or package, or an exception, fails it."""
    spec = SPECS.get(name)
    row = {
        "estimator": name,
        "kind": kind,
        "size": "",
        "cpu_s": None,
        "gpu_s": None,
        "speedup": None,
        "max_abs_diff": None,
        "tolerance": spec.tolerance if spec else 0.0,
        "tolerance_reason": spec.reason if spec else "no tolerance stated",
        "on_device": False,
        "passed": False,
        "note": "",
    }
    needs = [r for r in requirements(name, kind) if r in backend.missing]
    if needs:
        row["note"] = "not run, missing " + missing_message(backend.missing, needs)
    elif spec is None:
        row["note"] = (
            f"no gpu_check case for {name}: add its Spec to SPECS in "
            "benchmarks/gpu_check.py"
        )
    else:
        try:
            row.update(
                check(name, spec, kind == "torch device", backend, sizes, repeat)
            )
        except Exception as exc:  # a failing case must not hide the others
            row["note"] = f"{type(exc).__name__}: {exc}"
            row["traceback"] = traceback.format_exc()
        finally:
            backend.free()
    return row


def _number(key, fmt):
    return lambda row: "-" if row[key] is None else format(row[key], fmt)


#: (heading, cell) of the table's columns.
TABLE = [
    ("estimator", "estimator"),
    ("size", lambda row: row["size"] or row["note"]),
    ("CPU s", _number("cpu_s", ".3g")),
    ("GPU s", _number("gpu_s", ".3g")),
    ("speedup", _number("speedup", ".3g")),
    ("max abs diff", _number("max_abs_diff", ".2g")),
    (
        "tolerance",
        lambda r: format(r["tolerance"], ".0e") if r["tolerance"] else "0 (identical)",
    ),
    ("on device", "on_device"),
    ("pass", lambda row: "yes" if row["passed"] else "**NO**"),
]


def markdown_table(rows):
    """The rows as one Markdown table."""
    return _markdown_table(rows, TABLE)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_check",
        description="Fit every array-API / torch-device estimator on CPU and GPU, "
        "check placement and agreement, time both.",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="no GPU: array_api_strict 'device1' stands in for CuPy, 'cpu' for "
        "'cuda', at the small sizes",
    )
    parser.add_argument(
        "--small", action="store_true", help="small sizes (a quick GPU smoke run)"
    )
    parser.add_argument("--json", default=None, help="where to write the rows")
    parser.add_argument(
        "--only", action="append", default=None, help="run only this case (repeat)"
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="timed GPU runs (default 3; 1 dry)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.dry_run:
        backend = dry_run_backend()
    else:
        try:
            backend = cupy_backend()
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
    small = args.small or args.dry_run
    sizes = SIZES["small" if small else "full"]
    repeat = args.repeat or (1 if args.dry_run else 3)

    array_api, torch_device = gpu_estimators()
    plan = [(name, "array API") for name in array_api]
    plan += [(n, "array API (sampler)") for n, s in SPECS.items() if s.sampler]
    plan += [(name, "torch device") for name in torch_device]
    if args.only:
        unknown = sorted(set(args.only) - {name for name, _ in plan})
        if unknown:
            print(f"Unknown case(s) {unknown}; known: {[n for n, _ in plan]}")
            return 2
        plan = [(name, kind) for name, kind in plan if name in args.only]

    rows = []
    for name, kind in plan:
        case_start = time.perf_counter()
        row = run_case(name, kind, backend, sizes, repeat)
        row["wall_s"] = time.perf_counter() - case_start
        rows.append(row)
        status = "ok" if row["passed"] else "FAILED"
        print(
            f"  {name}: {status} ({row['wall_s']:.1f} s)", file=sys.stderr, flush=True
        )
    report = {
        "mode": "dry-run" if args.dry_run else "gpu",
        "sizes": "small" if small else "full",
        "device": backend.description(),
        "repeat": repeat,
        "versions": _versions(backend),
        "array_api_estimators": array_api,
        "torch_device_estimators": torch_device,
        "rows": rows,
        "wall_s": time.perf_counter() - start,
        "passed": all(row["passed"] for row in rows),
    }
    default = "gpu_check-dry-run.json" if args.dry_run else "gpu_check.json"
    path = Path(args.json or Path("benchmarks/results") / default)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
    print(markdown_table(rows))
    print(
        f"\n{report['device']}; {report['sizes']} sizes; GPU time = median of "
        f"{repeat} run(s) after a warm-up; total {report['wall_s']:.0f} s; "
        f"JSON: {path}"
    )
    for row in rows:
        if not row["passed"]:
            print(f"FAILED {row['estimator']}: {row['note']}", file=sys.stderr)
            if "traceback" in row:
                print(row["traceback"], file=sys.stderr)
    return 0 if report["passed"] else 1


def _versions(backend):
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    modules = ("sklearn", "scipy", "array_api_compat", "torch", "skorch")
    for module in (*modules, backend.xp.__name__):
        if module in sys.modules:
            versions[module] = getattr(sys.modules[module], "__version__", "?")
    return versions


if __name__ == "__main__":
    sys.exit(main())
