r"""The torch side of the unfolded estimators: the network, its losses, its training.

Importing this module imports neither torch nor skorch: the classes are built on
first use (:func:`torch_classes`) and then live here as module attributes, found
by name through the module's ``__getattr__``, so a fitted estimator pickles and
unpickles in a fresh process like any other.

The network (``T`` layers, :math:`x_0 = 0`), for measurements :math:`y` (one per
row):

- known :math:`A`, the paper's parameterisation: layer :math:`t` is one ISTA or IHT
  step with its own step size :math:`\gamma_t = e^{\rho_t}` (positive by
  construction), :math:`z_t = x_t + \gamma_t A^T (y - A x_t)` (computed as
  :math:`x_t + \gamma_t (A^T y - A^T A x_t)`, one product per layer),
  :math:`x_{t+1} = \operatorname{soft}(z_t, \lambda_t \gamma_t)` or
  :math:`\operatorname{hard}(z_t, \sqrt{2 \lambda_t \gamma_t})`, with
  :math:`\lambda_t = \lambda` or learned (:math:`\lambda_t = e^{\kappa_t}`);
- no :math:`A` (LISTA): :math:`z_t = W_t y + S_t x_t` with free matrices,
  initialised as ISTA on an estimate :math:`\hat A` (:math:`W_t = \gamma \hat A^T`,
  :math:`S_t = I - \gamma \hat A^T \hat A`, :math:`\gamma = 1 / \|\hat A\|_2^2`), and
  thresholds :math:`\theta_t = e^{\tau_t}`.

With every :math:`\gamma_t = 1/L` and :math:`\lambda_t = \lambda` the network *is*
``T`` iterations of ISTA (IHT), which is where training starts.
"""

import math
from types import SimpleNamespace

import numpy as np

from ..utils._torch import check_device, torch_threads

_TORCH_CLASSES = ("UnfoldedNetwork", "SquaredError", "SparseObjective")


def torch_classes():
    """The torch classes, defined on the first call and the same objects after.

    Defining them again would orphan the instances already made: pickle finds a
    class by name and refuses one that is not the object it finds.
    """
    if _TORCH_CLASSES[0] not in globals():
        _define_torch_classes()
    return SimpleNamespace(**{name: globals()[name] for name in _TORCH_CLASSES})


def _define_torch_classes():
    import torch
    from torch import nn

    class UnfoldedNetwork(nn.Module):
        """``n_layers`` unfolded ISTA (``hard=False``) or IHT (``hard=True``) steps.

        Parameters
        ----------
        matrix : torch.Tensor of shape (m, n)
            ``A`` (known) or its estimate ``A_hat`` (``learn_matrices=True``).
        n_layers : int
        lam : float
        hard : bool
        learn_matrices : bool
            LISTA: free ``W_t``, ``S_t`` and thresholds instead of step sizes.
        learn_thresholds : bool
            Train ``lambda_t`` as well (the LISTA thresholds are trained whenever
            they are soft).
        """

        def __init__(
            self, matrix, *, n_layers, lam, hard, learn_matrices, learn_thresholds
        ):
            super().__init__()
            self.n_layers = n_layers
            self.lam = lam
            self.hard = hard
            self.learn_matrices = learn_matrices
            dtype = matrix.dtype
            # 1 / ||A||_2^2 as a product: a Python float's ** raises
            # OverflowError (for ||A||_2 beyond 1e154) where * gives inf or 0
            norm = torch.linalg.matrix_norm(matrix, ord=2).item()
            gamma = (1.0 / norm) * (1.0 / norm) if norm > 0 else 1.0

            def trainable(name, value, train):
                value = torch.full((n_layers,), math.log(value), dtype=dtype)
                if train:
                    self.register_parameter(name, nn.Parameter(value))
                else:
                    self.register_buffer(name, value)

            if learn_matrices:
                n = matrix.shape[1]
                W = gamma * matrix.T
                S = torch.eye(n, dtype=dtype) - gamma * matrix.T @ matrix
                self.W = nn.Parameter(W.expand(n_layers, -1, -1).clone())
                self.S = nn.Parameter(S.expand(n_layers, -1, -1).clone())
                theta = math.sqrt(2.0 * lam * gamma) if hard else lam * gamma
                # A hard threshold has zero derivative in theta: only soft ones train.
                trainable("log_threshold", theta, not hard)
            else:
                self.register_buffer("A", matrix.clone())
                self.register_buffer("gram", matrix.T @ matrix)
                trainable("log_step", gamma, True)
                trainable("log_lam", lam, learn_thresholds)

        def step_sizes(self):
            """``gamma_t`` of every layer (known ``A`` only)."""
            return torch.exp(self.log_step)

        def thresholds(self):
            """The threshold ``theta_t`` of every layer."""
            if self.learn_matrices:
                return torch.exp(self.log_threshold)
            lam_gamma = torch.exp(self.log_lam + self.log_step)
            return torch.sqrt(2.0 * lam_gamma) if self.hard else lam_gamma

        def forward(self, y, depth=None, return_path=False):
            """The output of layer ``depth`` (default: the last), or every layer's."""
            x = y.new_zeros((y.shape[0], self._n_components()))
            thresholds = self.thresholds()
            if not self.learn_matrices:
                correlation = y @ self.A  # A^T y, shared by every layer
                steps = self.step_sizes()
            path = [x]
            for t in range(self.n_layers if depth is None else depth):
                if self.learn_matrices:
                    z = y @ self.W[t].T + x @ self.S[t].T
                else:
                    z = x + steps[t] * (correlation - x @ self.gram)
                if self.hard:
                    x = z * (torch.abs(z) > thresholds[t])
                else:
                    x = torch.sign(z) * torch.relu(torch.abs(z) - thresholds[t])
                path.append(x)
            return path if return_path else x

        def _n_components(self):
            return self.W.shape[1] if self.learn_matrices else self.A.shape[1]

    class SquaredError(nn.Module):
        """Supervised loss: ``mean over samples of ||x_T - x||^2``."""

        def forward(self, signals_pred, signals):
            return torch.mean(torch.sum((signals_pred - signals) ** 2, dim=1))

    class SparseObjective(nn.Module):
        """Unsupervised loss: mean of ``0.5 ||y - A x_T||^2 + lam R(x_T)``.

        ``R = ||.||_1`` (``hard=False``) or ``||.||_0``; the count has no gradient,
        so with ``l0`` only the data-fit term trains the step sizes.
        """

        def __init__(self, matrix, lam, hard):
            super().__init__()
            self.register_buffer("A", matrix.clone())
            self.lam = lam
            self.hard = hard

        def forward(self, signals_pred, measurements):
            residual = measurements - signals_pred @ self.A.T
            if self.hard:
                penalty = torch.sum(signals_pred != 0, dim=1, dtype=residual.dtype)
            else:
                penalty = torch.sum(torch.abs(signals_pred), dim=1)
            return torch.mean(0.5 * torch.sum(residual**2, dim=1) + self.lam * penalty)

    for cls in (UnfoldedNetwork, SquaredError, SparseObjective):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        globals()[cls.__name__] = cls


class Minibatches:
    """skorch ``iterator_train``: minibatches cut from whole tensors by index.

    skorch's default ``DataLoader`` fetches and collates one sample at a time; the
    unfolded networks are small enough that this dominates training. The order is
    drawn with ``torch.randperm`` from ``generator``, a ``torch.Generator`` that
    ``fit_network`` seeds: torch's global generator is never touched, so fits that
    run in parallel threads (joblib, Dask) stay reproducible.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.X, self.y = dataset.X, dataset.y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        import torch

        n = len(self.X)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
        else:
            order = torch.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start : start + self.batch_size].to(self.X.device)
            yield self.X[index], self.y[index]


def __getattr__(name):
    if name in _TORCH_CLASSES:
        return getattr(torch_classes(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fit_network(
    measurements,
    signals,
    matrix,
    *,
    hard,
    learn_matrices,
    learn_thresholds,
    n_layers,
    lam,
    loss,
    incremental,
    max_epochs,
    lr,
    batch_size,
    device,
    n_jobs,
    seed,
    verbose,
):
    """Build the unfolded network as a skorch ``NeuralNet`` and train it.

    Parameters
    ----------
    measurements : ndarray of shape (n_samples, m)
        float32 or float64; the network computes in this dtype.
    signals : ndarray of shape (n_samples, n) or None
        Targets of the supervised loss (None when unsupervised).
    matrix : ndarray of shape (m, n)
        ``A``, or with ``learn_matrices`` the estimate the LISTA layers start from.
    seed : int
        Seeds the minibatch order, through a generator of this call's own (torch's
        global random state is neither used nor changed).

    Other parameters are the estimator's. With ``incremental``, stage ``t = 1..T``
    trains the first ``t`` layers on the loss of ``x_t`` for ``max_epochs`` epochs;
    otherwise one stage trains all ``T`` layers end to end.

    Returns
    -------
    net : skorch.NeuralNet
        The trained net; ``net.module_`` is the :class:`UnfoldedNetwork`.
    """
    import torch
    from skorch import NeuralNet

    classes = torch_classes()
    check_device(device)
    dtype = torch.float32 if measurements.dtype == np.float32 else torch.float64
    matrix_t = torch.tensor(matrix, dtype=dtype)
    module = classes.UnfoldedNetwork(
        matrix_t,
        n_layers=n_layers,
        lam=lam,
        hard=hard,
        learn_matrices=learn_matrices,
        learn_thresholds=learn_thresholds,
    )
    if loss == "supervised":
        criterion = classes.SquaredError()
        target = torch.tensor(signals, dtype=dtype, device=device)
    else:
        criterion = classes.SparseObjective(matrix_t, lam, hard)
        target = torch.tensor(measurements, dtype=dtype, device=device)
    net = NeuralNet(
        module,
        criterion,
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        iterator_train=Minibatches,
        iterator_train__shuffle=True,
        iterator_train__generator=torch.Generator().manual_seed(seed),
        device=device,
        verbose=verbose,
        # The net is unpickled with the estimator, whose pickle already runs code.
        torch_load_kwargs={"weights_only": False},
    )
    inputs = torch.tensor(measurements, dtype=dtype, device=device)
    stages = range(1, n_layers + 1) if incremental else [n_layers]
    with torch_threads(n_jobs):
        net.initialize()
        for depth in stages:
            net.partial_fit(inputs, target, depth=depth)
    return net


def network_path(net, measurements, n_jobs):
    """Every layer's output ``[x_0 = 0, x_1, ..., x_T]`` as NumPy arrays."""
    import torch

    module = net.module_
    dtype = module.thresholds().dtype
    with torch_threads(n_jobs), torch.no_grad():
        inputs = torch.tensor(measurements, dtype=dtype, device=net.device)
        return [x.cpu().numpy() for x in module(inputs, return_path=True)]


def layer_parameters(net):
    """The trained layers' parameters as NumPy arrays, by fitted-attribute name."""
    import torch

    module = net.module_
    with torch.no_grad():
        params = {"thresholds_": module.thresholds()}
        if module.learn_matrices:
            params.update(input_weights_=module.W, state_weights_=module.S)
        else:
            params.update(step_sizes_=module.step_sizes())
        return {name: value.cpu().numpy().copy() for name, value in params.items()}
