"""Validation helpers shared by the estimators."""

import copy
import functools
import math

import numpy as np


def keep_state_on_error(method):
    """Decorate a fitting method so that a failing call leaves ``self`` untouched.

    The estimator's fitted state is deep-copied before the call and restored if
    the call raises, so a ``partial_fit`` that fails half-way (bad batch, numerical
    breakdown) never leaves fitted attributes half-updated, and a failed first fit
    leaves the estimator unfitted. Constructor parameters (``get_params``) are put
    back as the very objects the user passed, never as copies.

    Examples
    --------
    >>> from skpapers.utils import keep_state_on_error
    >>> class Counter:
    ...     n = 0
    ...     @keep_state_on_error
    ...     def add(self, k):
    ...         self.n += 1
    ...         if k < 0:
    ...             raise ValueError("k must be non-negative")
    >>> c = Counter()
    >>> c.add(1)
    >>> try:
    ...     c.add(-1)
    ... except ValueError:
    ...     pass
    >>> c.n
    1
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        params = set(self.get_params(deep=False)) if hasattr(self, "get_params") else ()
        kept = {k: v for k, v in self.__dict__.items() if k in params}
        saved = copy.deepcopy(
            {k: v for k, v in self.__dict__.items() if k not in params}
        )
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(kept)
            raise

    return wrapper


def check_magnitude(array, name="X", dtype=None, n_summed=None, power=2):
    """Raise a ``ValueError`` if sums of squares of ``array`` overflow ``dtype``.

    Every method here forms norms, Gram matrices, variances or squared errors, so
    finite values whose squares overflow the working dtype (float32 from about
    1e19, float64 from about 1e154) would come back as ``inf``/``NaN`` fitted
    arrays. Such input is refused up front, with the remedy in the message.

    Parameters
    ----------
    array : ndarray
        Validated input (any real or complex floating dtype).
    name : str, default="X"
        Name of the input, for the message.
    dtype : dtype, default=None
        The dtype the computation runs in; ``None``: ``array.dtype``.
    n_summed : float, default=None
        How many squares one sum adds up (e.g. ``array.shape[-1]`` for norms of
        rows); ``None``: all of them, ``array.size``.
    power : float, default=2
        The power that is summed: 2 for squares, ``p`` for an ``l_p`` objective
        whose gradient sums ``|x|^p``-sized terms.

    Returns
    -------
    array : ndarray
        ``array`` itself, unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import check_magnitude
    >>> check_magnitude(np.ones(3, dtype=np.float32))
    array([1., 1., 1.], dtype=float32)
    >>> check_magnitude(np.full(3, 1e20, dtype=np.float32))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: X has values of magnitude up to 1e+20, whose squares overflow ...
    """
    from ._array_api import get_namespace

    xp, _ = get_namespace(array)
    size = math.prod(array.shape)
    if size == 0 or not xp.isdtype(array.dtype, ("real floating", "complex floating")):
        return array
    dtype = array.dtype if dtype is None else dtype
    finfo = xp.finfo(dtype)
    dtype_name = getattr(dtype, "__name__", None) or str(dtype).split(".")[-1]
    n_summed = size if n_summed is None else n_summed
    largest = float(xp.max(xp.abs(array)))
    limit = (float(finfo.max) / max(n_summed, 1)) ** (1 / power)
    what = "squares" if power == 2 else f"{power:g}-th powers"
    if not largest <= limit:  # NaN compares False too
        raise ValueError(
            f"{name} has values of magnitude up to {largest:.3g}, whose {what} "
            f"overflow {dtype_name} (sums of them are not finite): rescale it "
            "(e.g. StandardScaler, or divide by a constant) so that values stay "
            f"below {limit:.3g}"
            + (", or pass float64 data." if "float32" in dtype_name else ".")
        )
    return array


def check_partial_fit_classes(classes_seen, classes, y):
    """Resolve the class labels of an incremental classifier.

    Follows scikit-learn's first-call rule: the first ``partial_fit`` must be given
    every class in ``classes``; later calls may repeat the same ``classes`` or omit
    them, and ``y`` may only hold known classes.

    Parameters
    ----------
    classes_seen : ndarray or None
        The fitted ``classes_``, or None before the first call.
    classes : array-like or None
        The ``classes`` argument of this call.
    y : ndarray
        The labels of this batch.

    Returns
    -------
    classes_ : ndarray
        The sorted unique classes to use from now on.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import check_partial_fit_classes
    >>> classes_ = check_partial_fit_classes(None, [2, 0, 1], np.array([0, 2]))
    >>> classes_
    array([0, 1, 2])
    >>> check_partial_fit_classes(classes_, None, np.array([1]))
    array([0, 1, 2])
    >>> check_partial_fit_classes(classes_, None, np.array([3]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: y contains labels [3] that are not in classes [0, 1, 2]; ...
    """
    if classes_seen is None:
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: give "
                "every class label that the stream will contain."
            )
        classes_ = np.unique(np.asarray(classes))
        if classes_.dtype.kind in "fc" and np.isnan(classes_).any():
            raise ValueError(
                f"classes contains NaN ({classes_.tolist()}); class labels must "
                "be actual values."
            )
    else:
        classes_ = classes_seen
        if classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), classes_
        ):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} is not the same as on the "
                f"first call to partial_fit ({classes_.tolist()})."
            )
    unseen = np.setdiff1d(np.unique(y), classes_)
    if unseen.size:
        raise ValueError(
            f"y contains labels {unseen.tolist()} that are not in classes "
            f"{classes_.tolist()}; "
            "pass every class label on the first call to partial_fit."
        )
    return classes_
