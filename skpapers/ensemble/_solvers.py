"""EnsLoss training, outside the estimators: the epoch plan and the linear solver.

Every model trains on the same plan (:func:`epoch_plan`): per epoch a step size,
a Box-Cox parameter, a permutation of the samples and, for EnsLoss, the standard
normals behind the random derivatives, all drawn from the estimator's NumPy
generator. The linear model's epochs run in the numba kernel
(:func:`~skpapers.ensemble._kernels.linear_sgd_epoch`); the networks' in torch
(:mod:`skpapers.ensemble._torch_training`, imported only when a network trains).
"""

import numpy as np

from ._kernels import LOSS_CODES, linear_sgd_epoch


def cosine_schedule(lr, n_epochs):
    """Step sizes of ``n_epochs`` epochs, from ``lr`` towards 0 on a half cosine."""
    epochs = np.arange(n_epochs)
    return 0.5 * lr * (1.0 + np.cos(np.pi * epochs / n_epochs))


def epoch_plan(
    rng,
    lrs,
    n_samples,
    n_outputs,
    *,
    loss,
    boxcox_lambda,
    lambda_period,
    first_epoch,
    last_lambda,
    lambdas,
):
    """Yield each epoch's ``(lr, boxcox_lambda, order, normals)``, drawn from ``rng``.

    Drawn lazily, in a fixed order, so one epoch's draws are in memory at a time;
    each epoch's Box-Cox parameter is appended to ``lambdas``. ``first_epoch``
    (epochs run before) and ``last_lambda`` (the parameter in use, or None) carry
    a ``boxcox_lambda="random"`` redraw period across ``partial_fit`` calls.
    ``normals`` has shape (n_samples, n_outputs), row ``start + b`` for position
    ``b`` of the batch starting at ``start``, and is None for a fixed loss.
    """
    current = last_lambda
    for epoch, lr in enumerate(lrs, start=first_epoch):
        if loss == "ensloss":
            if boxcox_lambda == "random":
                if current is None or epoch % lambda_period == 0:
                    current = float(rng.uniform(-1.0, 1.0))
            else:
                current = float(boxcox_lambda)
        else:
            current = 0.0
        order = rng.permutation(n_samples)
        normals = (
            rng.standard_normal((n_samples, n_outputs)) if loss == "ensloss" else None
        )
        lambdas.append(current)
        yield float(lr), current, order, normals


def divergence_message(epoch):
    """The error message for weights that became non-finite in ``epoch``."""
    return (
        f"Training diverged in epoch {epoch} of this call: the weights are no "
        "longer finite. Lower lr, standardise the features, or use a bounded "
        "loss (the exponential loss's derivative grows without bound)."
    )


def train_linear(
    X,
    Y,
    coef,
    intercept,
    velocities,
    plan,
    *,
    loss,
    momentum,
    weight_decay,
    batch_size,
):
    """Mini-batch SGD with momentum on the linear one-vs-rest model.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    Y : ndarray of shape (n_samples, n_outputs)
        +-1 labels, one column per binary (one-vs-rest) problem.
    coef, intercept : ndarrays of shape (n_outputs, n_features), (n_outputs,)
        Initial parameters; not modified.
    velocities : list of two ndarrays
        Momentum buffers of ``coef`` and ``intercept``; not modified.
    plan : iterable
        See :func:`epoch_plan`.
    loss : {"ensloss", "bce", "hinge", "exponential"}
    momentum, weight_decay : float
    batch_size : int

    Returns
    -------
    coef, intercept, velocities
        The trained parameters and buffers.
    n_updates : int
        Number of SGD steps taken.
    """
    # The kernel updates in place: work on copies, so a failure (or a
    # divergence) leaves the caller's arrays as they were.
    coef, intercept = coef.copy(), intercept.copy()
    velocities = [v.copy() for v in velocities]
    # A read-only view: the kernel then sees one array type per dtype, whether or
    # not the caller's X is writable (one compilation each).
    X = np.ascontiguousarray(X).view()
    X.flags.writeable = False
    no_normals = np.empty((0, Y.shape[1]))
    n_updates = 0
    for epoch, (lr, lam, order, normals) in enumerate(plan, start=1):
        n_updates += linear_sgd_epoch(
            X,
            Y,
            coef,
            intercept,
            *velocities,
            order,
            no_normals if normals is None else normals,
            lam,
            LOSS_CODES[loss],
            lr,
            momentum,
            weight_decay,
            batch_size,
        )
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError(divergence_message(epoch))
    return coef, intercept, velocities, n_updates
