"""EnsLossClassifier: the linear model, trained by a numba kernel on the CPU."""

import numpy as np

from ._base import _EnsLossBase, ensloss_doc
from ._solvers import train_linear


@ensloss_doc
class EnsLossClassifier(_EnsLossBase):
    """Linear classifier trained on a stochastic ensemble of calibrated losses.

    Every mini-batch gets a fresh random loss (EnsLoss): its derivatives at the
    batch's margins are drawn so that the loss is convex and
    classification-calibrated (negative at 0, non-decreasing in the margin), and
    SGD with momentum follows them. This "doubly stochastic" descent (random
    batches, random losses) acts like Dropout over losses and curbs overfitting.
    The fixed losses of the paper's comparison (``"bce"``, ``"hinge"``,
    ``"exponential"``) run through the same loop, so comparisons are like for
    like.

    The scores are ``X @ coef_.T + intercept_``; training runs in a numba kernel
    on the CPU and never imports torch. For networks see
    :class:`EnsLossMLPClassifier` (a ReLU MLP) and :class:`EnsLossNetClassifier`
    (any torch module, e.g. a CNN).

    Parameters
    ----------
    %(training_parameters)s
    %(random_state_parameter)s

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    %(training_attributes)s

    See Also
    --------
    EnsLossMLPClassifier : The same training for a ReLU MLP.
    sklearn.linear_model.SGDClassifier : Linear models by SGD with a fixed loss.

    Notes
    -----
    %(notes)s

    References
    ----------
    %(references)s

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skpapers import EnsLossClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), EnsLossClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _model_attributes = ("coef_", "intercept_")

    def __init__(
        self,
        *,
        loss="ensloss",
        boxcox_lambda=0.0,
        lambda_period=1,
        batch_size=128,
        max_epochs=50,
        lr=0.01,
        momentum=0.9,
        weight_decay=1e-4,
        random_state=None,
    ):
        self.loss = loss
        self.boxcox_lambda = boxcox_lambda
        self.lambda_period = lambda_period
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _init_model(self, n_features, n_outputs, dtype):
        self.coef_ = np.zeros((n_outputs, n_features), dtype=dtype)
        self.intercept_ = np.zeros(n_outputs, dtype=dtype)
        return [np.zeros_like(self.coef_), np.zeros_like(self.intercept_)]

    def _solve(self, X, Y, plan, settings):
        self.coef_, self.intercept_, self._velocity, n_updates = train_linear(
            X, Y, self.coef_, self.intercept_, self._velocity, plan, **settings
        )
        return n_updates

    def _scores(self, X):
        return X @ self.coef_.T + self.intercept_
