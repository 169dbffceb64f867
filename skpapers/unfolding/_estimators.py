"""UnfoldedISTA and UnfoldedIHT: deep-unfolded sparse recovery as sklearn regressors.

The estimators validate input, resolve the measurement matrix, and hand the
training to :func:`skpapers.unfolding._modules.fit_network` (torch and skorch are
imported there, on the first ``fit``). See :mod:`skpapers.unfolding._classic` for the
model, the notation and the iterations being unfolded.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..utils import check_magnitude, keep_state_on_error
from ..utils._docstrings import fill_doc

_DTYPES = [np.float64, np.float32]


def _check_scale(values, name, dtype):
    # The networks minimise squared errors over a row (``||x_T - x||^2`` or
    # ``||y - A x_T||^2``) and multiply by ``A^T A``; the problem is not
    # scale-invariant (``lam`` is absolute), so the data are not rescaled silently.
    values = np.asarray(values)
    check_magnitude(values, name, dtype, n_summed=values.shape[-1])


def _check_step_finite(A, dtype):
    # The layers start from ISTA's step 1 / ||A||_2^2, which must be finite.
    norm = float(np.linalg.norm(np.asarray(A, dtype=np.float64), 2))
    if not norm * norm * float(np.finfo(dtype).max) > 1.0:
        raise ValueError(
            f"The measurement matrix has spectral norm {norm:.3g}, so the ISTA "
            f"step 1 / ||A||^2 overflows {np.dtype(dtype).name}. Without "
            "measurement_matrix, A is estimated from (X, y), and these data carry "
            "(numerically) no signal: rescale X and y, or pass measurement_matrix."
        )


# Docstring parts that UnfoldedISTA and UnfoldedIHT share, written once.
_unfolded_doc = fill_doc(
    training_parameters="""lr : float or "auto", default="auto"
        Adam's learning rate. "auto": 0.03 for the step sizes (trained as
        ``log gamma_t``, so this is a relative change per step), 0.001 for the
        LISTA matrices.
    batch_size : int, default=100
        Minibatch size.
    device : str, default="cpu"
        The torch device to train and predict on ("cpu", "cuda", "cuda:1", ...).
    n_jobs : int, default=None
        Threads of torch's CPU kernels during ``fit`` and ``predict``. None means 1
        (the layers are small matrix products, fastest on one thread unless the
        batches are large); -1 means all cores.
    random_state : int, RandomState instance or None, default=None
        Seeds the minibatch order (a torch generator of the fit's own: torch's
        global random state is neither used nor changed).
    verbose : int, default=0
        skorch's verbosity (1: one line per epoch).""",
    network_attributes="""net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is the torch module, ``net_.history``
        the training losses.
    step_sizes_ : ndarray of shape (n_layers,)""",
    shape_attributes="""input_weights_ : ndarray of shape (n_layers, n, m)
        The LISTA matrices ``W_t`` (without a ``measurement_matrix``).
    state_weights_ : ndarray of shape (n_layers, n, n)
        The LISTA matrices ``S_t`` (without a ``measurement_matrix``).
    n_outputs_ : int
        ``n``, the length of a recovered signal.
    n_features_in_ : int
        ``m``, the length of a measurement vector.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has feature
        names that are all strings.""",
)


class _BaseUnfolded(RegressorMixin, BaseEstimator):
    """What the unfolded estimators share.

    Subclasses define ``__init__``, ``_hard`` (hard or soft thresholding) and
    ``_learn_thresholds()``.
    """

    _parameter_constraints = {
        "measurement_matrix": ["array-like", None],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "lam": [Interval(Real, 0, None, closed="neither")],
        "loss": [StrOptions({"supervised", "unsupervised"})],
        "incremental": ["boolean"],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.loss != "unsupervised"
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_error
    def fit(self, X, y=None):
        """Train the unfolded network.

        Parameters
        ----------
        X : array-like of shape (n_samples, m)
            Measurements ``y = A x + w``, one per row.
        y : array-like of shape (n_samples, n) or (n_samples,), default=None
            The true signals ``x``: required by ``loss="supervised"``, ignored by
            ``loss="unsupervised"``. A 1-D ``y`` is signals of length 1.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        supervised = self.loss == "supervised"
        if supervised:
            X, y = validate_data(
                self, X, y, dtype=_DTYPES, y_numeric=True, multi_output=True
            )
            # checked before the cast to X's dtype, where it would become inf
            _check_scale(np.reshape(y, (len(X), -1)), "y", X.dtype)
            signals = np.asarray(y, dtype=X.dtype).reshape(len(X), -1)
        else:
            X = validate_data(self, X, dtype=_DTYPES)
            signals = None
        _check_scale(X, "X", X.dtype)
        matrix = self._resolve_matrix(X, signals)
        learn_matrices = self.measurement_matrix is None
        if self.lr == "auto":
            lr = 1e-3 if learn_matrices else 3e-2
        else:
            lr = self.lr
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)

        from ._modules import fit_network, layer_parameters

        net = fit_network(
            X,
            signals,
            matrix,
            hard=self._hard,
            learn_matrices=learn_matrices,
            learn_thresholds=self._learn_thresholds(),
            n_layers=self.n_layers,
            lam=self.lam,
            loss=self.loss,
            incremental=self.incremental,
            max_epochs=self.max_epochs,
            lr=lr,
            batch_size=self.batch_size,
            device=self.device,
            n_jobs=self.n_jobs,
            seed=seed,
            verbose=self.verbose,
        )
        self.net_ = net
        for name, value in layer_parameters(net).items():
            setattr(self, name, value)
        self.n_outputs_ = matrix.shape[1]
        self._y_1d = supervised and np.ndim(y) == 1
        return self

    def _resolve_matrix(self, X, signals):
        """``A`` (validated against the data), or the LISTA starting estimate."""
        if self.measurement_matrix is None:
            if signals is None:
                raise ValueError(
                    "loss='unsupervised' needs measurement_matrix: the objective "
                    "0.5 ||y - A x||^2 + lam R(x) is defined through A. Pass A, or "
                    "train with loss='supervised' and the true signals as y."
                )
            # Least-squares estimate of the forward model X ~ signals A^T: the
            # LISTA layers start as ISTA on it.
            A = np.linalg.lstsq(signals, X, rcond=None)[0].T.astype(X.dtype)
            _check_step_finite(A, X.dtype)
            return A
        A = check_array(
            self.measurement_matrix, dtype=X.dtype, input_name="measurement_matrix"
        )
        if A.shape[0] != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features (measurements per sample) but "
                f"measurement_matrix has {A.shape[0]} rows: X needs one column per "
                "row of the (m x n) measurement matrix."
            )
        if signals is not None and signals.shape[1] != A.shape[1]:
            raise ValueError(
                f"y has {signals.shape[1]} columns but measurement_matrix has "
                f"{A.shape[1]} columns: each target signal must have length n, the "
                "number of columns of the (m x n) measurement matrix."
            )
        if not np.any(A):
            raise ValueError(
                "measurement_matrix is zero: the measurements carry no information "
                "about the signal."
            )
        _check_scale(A, "measurement_matrix", X.dtype)
        _check_step_finite(A, X.dtype)
        return A

    def _path(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_DTYPES)
        _check_scale(X, "X", X.dtype)
        from ._modules import network_path

        path = network_path(self.net_, X, self.n_jobs)
        return [x.ravel() for x in path] if self._y_1d else path

    def predict(self, X):
        """Recover the signals: the output of the last layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, m)
            Measurements.

        Returns
        -------
        signals : ndarray of shape (n_samples, n) or (n_samples,)
            The recovered signals (1-D if fitted on a 1-D ``y``), in the dtype the
            network was trained in (float32 or float64).
        """
        return self._path(X)[-1]

    def staged_predict(self, X):
        """Yield the output of every layer ``x_1, ..., x_T`` in turn.

        The trajectory through the network, comparable iteration by iteration with
        the classic solver it unfolds (``ista``/``iht`` with ``iterates_at``).

        Parameters
        ----------
        X : array-like of shape (n_samples, m)
            Measurements.

        Yields
        ------
        signals : ndarray of shape (n_samples, n) or (n_samples,)
            The estimate after each layer.
        """
        yield from self._path(X)[1:]


@_unfolded_doc
class UnfoldedISTA(_BaseUnfolded):
    """Deep-unfolded ISTA: ``T`` ISTA iterations with learned step sizes.

    Layer ``t`` computes ``x_{t+1} = soft(x_t + gamma_t A^T (y - A x_t),
    lambda gamma_t)`` from ``x_0 = 0``, with one trainable step size
    ``gamma_t > 0`` per layer, initialised at ``1 / ||A||_2^2``, so the untrained
    network is ISTA. Trained with skorch, by the MSE to the true signals
    (supervised) or by the l1 objective itself (unsupervised): the paper finds that
    supervised training reaches a lower NMSE but not ISTA's minimum, while
    unsupervised training reaches ISTA's solution in far fewer iterations.

    ``X`` holds the measurements and ``y`` the signals, so ``fit(X, y)``,
    ``predict(X)`` and ``score(X, y)`` (the coefficient of determination ``R^2``,
    averaged over the signal entries) work as for any regressor, and ``fit(X)``
    trains without ground truth when ``loss="unsupervised"``.

    Parameters
    ----------
    measurement_matrix : array-like of shape (m, n), default=None
        The measurement matrix ``A``. None: learn LISTA-style layers
        ``x_{t+1} = soft(W_t y + S_t x_t, theta_t)`` (free matrices and
        thresholds) instead of step sizes, starting from ISTA on the least-squares
        estimate of ``A`` from the training pairs (``loss="supervised"`` only).
    n_layers : int, default=10
        ``T``, the number of unfolded iterations.
    lam : float, default=0.1
        The regularisation weight ``lambda`` of the l1 problem.
    loss : {"supervised", "unsupervised"}, default="supervised"
        "supervised": mean ``||x_T - x||^2`` against the true signals ``y``;
        "unsupervised": the objective ``0.5 ||y - A x_T||^2 + lambda ||x_T||_1`` of the
        measurements alone (needs ``measurement_matrix``).
    incremental : bool, default=True
        Train layer by layer (stage ``t`` trains the first ``t`` layers on the loss
        of ``x_t``), as deep-unfolding practice does; False: end to end.
    learn_thresholds : bool, default=False
        With a ``measurement_matrix``, also learn a per-layer weight
        ``lambda_t`` (threshold ``lambda_t gamma_t``), initialised at ``lam``.
        (The LISTA layers always learn their thresholds.)
    max_epochs : int, default=10
        Epochs of Adam per training stage (``T`` stages when incremental). 0 keeps
        the untrained network, which is exactly ``T`` ISTA iterations.
    %(training_parameters)s

    Attributes
    ----------
    %(network_attributes)s
        The learned ``gamma_t`` (with a ``measurement_matrix``).
    thresholds_ : ndarray of shape (n_layers,)
        The threshold of each layer: ``lambda_t gamma_t`` with a ``measurement_matrix``,
        ``theta_t`` otherwise.
    %(shape_attributes)s

    See Also
    --------
    UnfoldedIHT : the same for the l0 problem.
    skpapers.unfolding.ista, skpapers.unfolding.fista : the classic iterations.

    References
    ----------
    Comparison between Supervised and Unsupervised Learning in Deep Unfolded Sparse
    Signal Recovery.

    Examples
    --------
    >>> from skpapers import UnfoldedISTA
    >>> from skpapers.datasets import make_sparse_recovery
    >>> from skpapers.unfolding import ista, nmse
    >>> Y, X, A = make_sparse_recovery(400, random_state=0)
    >>> net = UnfoldedISTA(A, n_layers=5, max_epochs=2, random_state=0).fit(Y, X)
    >>> X_hat = net.predict(Y)
    >>> X_hat.shape
    (400, 150)
    >>> bool(nmse(X, X_hat) < nmse(X, ista(Y, A, lam=0.1, n_iter=5)))
    True
    """

    _hard = False

    _parameter_constraints = {
        **_BaseUnfolded._parameter_constraints,
        "learn_thresholds": ["boolean"],
    }

    def __init__(
        self,
        measurement_matrix=None,
        *,
        n_layers=10,
        lam=0.1,
        loss="supervised",
        incremental=True,
        learn_thresholds=False,
        max_epochs=10,
        lr="auto",
        batch_size=100,
        device="cpu",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.measurement_matrix = measurement_matrix
        self.n_layers = n_layers
        self.lam = lam
        self.loss = loss
        self.incremental = incremental
        self.learn_thresholds = learn_thresholds
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _learn_thresholds(self):
        return self.learn_thresholds


@_unfolded_doc
class UnfoldedIHT(_BaseUnfolded):
    """Deep-unfolded IHT: ``T`` hard-thresholding iterations with learned steps.

    Layer ``t`` computes ``x_{t+1} = hard(x_t + gamma_t A^T (y - A x_t),
    sqrt(2 lambda gamma_t))`` (entries at or below the threshold are zeroed) from
    ``x_0 = 0``, with one trainable step size ``gamma_t > 0`` per layer,
    initialised at ``1 / ||A||_2^2``, so the untrained network is IHT. The l0
    problem is nonconvex; the paper finds that training either way (MSE to the
    true signals, or the objective) reaches better local minima than IHT. A hard
    threshold has zero derivative in its level, so the gradient reaches
    ``gamma_t`` through the gradient step only, the ``||x||_0`` term of the
    unsupervised loss trains nothing, and thresholds are not learned.

    ``X`` holds the measurements and ``y`` the signals, so ``fit(X, y)``,
    ``predict(X)`` and ``score(X, y)`` (``R^2``, averaged over the signal entries)
    work as for any regressor, and ``fit(X)`` trains without ground truth when
    ``loss="unsupervised"``.

    Parameters
    ----------
    measurement_matrix : array-like of shape (m, n), default=None
        The measurement matrix ``A``. None: learn LISTA-style layers
        ``x_{t+1} = hard(W_t y + S_t x_t, theta_t)`` (free matrices, thresholds
        fixed at IHT's) instead of step sizes, starting from IHT on the
        least-squares estimate of ``A`` from the training pairs
        (``loss="supervised"`` only).
    n_layers : int, default=10
        ``T``, the number of unfolded iterations.
    lam : float, default=0.1
        The regularisation weight ``lambda`` of the l0 problem.
    loss : {"supervised", "unsupervised"}, default="supervised"
        "supervised": mean ``||x_T - x||^2`` against the true signals ``y``;
        "unsupervised": the objective ``0.5 ||y - A x_T||^2 + lambda ||x_T||_0`` of the
        measurements alone (needs ``measurement_matrix``).
    incremental : bool, default=True
        Train layer by layer (stage ``t`` trains the first ``t`` layers on the loss
        of ``x_t``), as deep-unfolding practice does; False: end to end.
    max_epochs : int, default=10
        Epochs of Adam per training stage (``T`` stages when incremental). 0 keeps
        the untrained network, which is exactly ``T`` IHT iterations.
    %(training_parameters)s

    Attributes
    ----------
    %(network_attributes)s
        The learned ``gamma_t`` (with a ``measurement_matrix``).
    thresholds_ : ndarray of shape (n_layers,)
        The threshold of each layer: ``sqrt(2 lambda gamma_t)`` with a
        ``measurement_matrix``, ``theta_t`` otherwise.
    %(shape_attributes)s

    See Also
    --------
    UnfoldedISTA : the same for the l1 problem.
    skpapers.unfolding.iht : the classic iteration.

    References
    ----------
    Comparison between Supervised and Unsupervised Learning in Deep Unfolded Sparse
    Signal Recovery.

    Examples
    --------
    >>> from skpapers import UnfoldedIHT
    >>> from skpapers.datasets import make_sparse_recovery
    >>> from skpapers.unfolding import iht, nmse
    >>> Y, X, A = make_sparse_recovery(400, random_state=0)
    >>> net = UnfoldedIHT(A, n_layers=5, max_epochs=2, random_state=0).fit(Y, X)
    >>> bool(nmse(X, net.predict(Y)) < nmse(X, iht(Y, A, lam=0.1, n_iter=5)))
    True
    """

    _hard = True

    def __init__(
        self,
        measurement_matrix=None,
        *,
        n_layers=10,
        lam=0.1,
        loss="supervised",
        incremental=True,
        max_epochs=10,
        lr="auto",
        batch_size=100,
        device="cpu",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.measurement_matrix = measurement_matrix
        self.n_layers = n_layers
        self.lam = lam
        self.loss = loss
        self.incremental = incremental
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _learn_thresholds(self):
        # A hard threshold has zero derivative in its level: nothing to learn.
        return False
