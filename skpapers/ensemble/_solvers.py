"""EnsLoss training, outside the estimators: the epoch plan and the linear solver.

Every model trains on the same plan (:func:`epoch_plan`): per epoch a step size,
a Box-Cox parameter, a permutation of the samples and, for EnsLoss, the standard
normals behind the random derivatives, all drawn from the estimator's NumPy
generator. The linear model's epochs run in the numba kernel
(:func:`~skpapers.ensemble._kernels.linear_sgd_epoch`); the networks' in torch
(:mod:`skpapers.ensemble._torch_training`, imported only when a network trains).
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

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


#: Mean hinge training loss above which training has collapsed: ten times the
#: loss of the zero score (1), where every model here starts or nearly so.
COLLAPSED_LOSS = 10.0
#: Largest absolute score of a sound fit: a calibrated loss's steps shrink once
#: margins pass a few units, so scores this large mean the weights ran away.
RUNAWAY_SCORE = 1e4
#: ``fit`` warns when, over the last tenth of its epochs, the loss still falls
#: per unit of step size at this fraction of its average rate over the run.
STILL_FALLING = 0.5


class TrainingMonitor:
    """Watches the training loss and the scores epoch by epoch; fails loudly.

    The monitored loss is the hinge loss ``max(0, 1 - s)`` of the margins that
    the epoch's batches saw before their steps, whatever loss drives the steps,
    so runs with different losses are watched alike. Divergence (non-finite weights or
    scores in any epoch; in the call's last epoch, scores beyond
    :data:`RUNAWAY_SCORE` or a loss beyond :data:`COLLAPSED_LOSS`, so that a
    transient spike that training recovers from is allowed) raises a
    ``ValueError`` naming the step size and the feature scale as the likely
    causes.

    Parameters
    ----------
    lr : float
        The estimator's step size, for the messages.
    feature_scale : float
        Largest absolute feature value of the data, for the messages.
    """

    def __init__(self, lr, feature_scale):
        self.lr = lr
        self.feature_scale = feature_scale
        self.losses = []
        self.max_abs_score = 0.0

    def end_epoch(self, epoch, mean_loss, max_abs_score, finite=True):
        """Record an epoch; raise ``ValueError`` when training has diverged."""
        if not (finite and np.isfinite(mean_loss) and np.isfinite(max_abs_score)):
            self._fail(epoch, "the weights or scores are no longer finite")
        self.losses.append(mean_loss)
        self.max_abs_score = max_abs_score

    def finish(self):
        """Raise ``ValueError`` when the call ends with runaway weights or loss."""
        if self.max_abs_score > RUNAWAY_SCORE:
            self._fail(
                len(self.losses),
                f"scores reached {self.max_abs_score:.3g} in absolute value (the "
                "weights ran away)",
            )
        if self.losses and self.losses[-1] > COLLAPSED_LOSS:
            self._fail(
                len(self.losses),
                f"the training loss (hinge, mean over the epoch) is "
                f"{self.losses[-1]:.3g}, over ten times that of the zero score",
            )

    def _fail(self, epoch, what):
        raise ValueError(
            f"Training diverged in epoch {epoch} of this call: {what}. Likely "
            f"causes: the learning rate lr={self.lr:g} is too large, or the "
            f"features are not scaled (largest |feature| is "
            f"{self.feature_scale:.3g}; standardise them, e.g. with a "
            "StandardScaler). The exponential loss, whose derivative grows "
            "without bound, diverges most easily."
        )

    def warn_if_still_falling(self, lrs):
        """ConvergenceWarning when the loss ends still falling fast (``fit``).

        Compares the loss decrease per unit of step size over the last tenth of
        the epochs with its average over the run: a run that has converged has
        a near-flat end, one cut short still falls at about its average rate.
        """
        losses = np.asarray(self.losses)
        n = len(losses)
        if n < 10 or not losses[0] > losses[-1]:
            return
        tail = n // 10
        lrs = np.asarray(lrs, dtype=float)
        overall = (losses[0] - losses[-1]) / lrs[1:].sum()
        recent = (losses[-tail - 1] - losses[-1]) / lrs[-tail:].sum()
        if recent > STILL_FALLING * overall:
            warnings.warn(
                f"The training loss was still falling at the end of training "
                f"({losses[-tail - 1]:.4g} -> {losses[-1]:.4g} over the last "
                f"{tail} of {n} epochs, at {recent / overall:.0%} of its average "
                "rate per unit of step size): raise max_epochs or lr.",
                ConvergenceWarning,
                stacklevel=5,  # the caller of fit, past its two decorators
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
    monitor,
):
    """Mini-batch SGD with momentum on the linear one-vs-rest model.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    Y : ndarray of shape (n_samples, n_outputs)
        +-1 labels, one column per binary (one-vs-rest) problem.
    coef, intercept : ndarrays of shape (n_outputs, n_features), (n_outputs,)
        Initial parameters, updated in place (the estimators keep their state
        on a failed call with :func:`~skpapers.utils.keep_state_on_error`).
    velocities : list of two ndarrays
        Momentum buffers of ``coef`` and ``intercept``, updated in place.
    plan : iterable
        See :func:`epoch_plan`.
    loss : {"ensloss", "bce", "hinge", "exponential"}
    momentum, weight_decay : float
    batch_size : int
    monitor : TrainingMonitor

    Returns
    -------
    coef, intercept, velocities
        The trained parameters and buffers.
    n_updates : int
        Number of SGD steps taken.
    """
    # A read-only view: the kernel then sees one array type per dtype, whether or
    # not the caller's X is writable (one compilation each).
    X = np.ascontiguousarray(X).view()
    X.flags.writeable = False
    no_normals = np.empty((0, Y.shape[1]))
    n_updates = 0
    for epoch, (lr, lam, order, normals) in enumerate(plan, start=1):
        steps, loss_sum, max_abs_score = linear_sgd_epoch(
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
        n_updates += steps
        finite = np.isfinite(coef).all() and np.isfinite(intercept).all()
        monitor.end_epoch(epoch, loss_sum / Y.size, max_abs_score, finite)
    return coef, intercept, velocities, n_updates
