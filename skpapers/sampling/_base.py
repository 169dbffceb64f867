"""Sampling strategies built from two primitives: a projection DPP and i.i.d. draws.

Every strategy is written once here, for a finite pool (samples are row indices)
and a continuous domain (samples are points) alike; the subclasses in
``_finite.py`` and ``_continuous.py`` supply the primitives. Derivations are in
``_finite.py``.
"""

import math
import warnings

import numpy as np
from sklearn.utils import check_random_state

from ..utils import to_numpy

STRATEGIES = (
    "dpp",
    "repeated_dpp",
    "volume",
    "iid_optimal",
    "iid_conditioned",
    "uniform",
)


def _check_count(n, name="n"):
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}.")
    return int(n)


def gram_deviation(gram):
    """Spectral norm ||G - I||_2 of a symmetric matrix G minus the identity.

    ``gram`` may be an array of any namespace (it is small: copied to the host).

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling import gram_deviation
    >>> float(gram_deviation(np.diag([0.5, 1.2])))
    0.5
    """
    gram = np.asarray(to_numpy(gram), dtype=np.float64)
    eigenvalues = np.linalg.eigvalsh(gram - np.eye(gram.shape[0]))
    return float(np.max(np.abs(eigenvalues))) if eigenvalues.size else 0.0


class _BaseSampler:
    """Strategies on top of ``_projection_dpp(rng)``, ``_optimal(n, rng)``,
    ``_uniform(n, rng)``, ``features(sample)`` and ``christoffel(sample)``.

    Samples are arrays of namespace ``_xp`` on device ``_device`` (NumPy here; a
    pool of CuPy or torch features keeps its samples on its device).
    """

    n_basis: int
    _xp = np
    _device = "cpu"
    _float = np.float64

    def _concat(self, parts):
        return self._xp.concat(parts) if len(parts) > 1 else parts[0]

    def _permuted(self, sample, permutation):
        order = self._xp.asarray(permutation, device=self._device)
        return self._xp.take(sample, order, axis=0)

    def weights(self, sample):
        """Optimal weights w(x) = m / k_m(x) at the points of ``sample``."""
        return self.n_basis / self.christoffel(sample)

    def gram(self, sample, weights=None):
        """Empirical Gram matrix G = (1/n) sum_i w_i phi(x_i) phi(x_i)^T.

        ``weights`` defaults to the optimal weights m / k_m. With orthonormal
        features, G = I means the weighted empirical norm is the L^2(mu) norm on V_m.
        """
        features = self.features(sample)
        if weights is None:
            weights = self.weights(sample)
        return (features * weights[:, None]).T @ features / features.shape[0]

    def projection_dpp(self, random_state=None):
        """m points from the projection DPP with kernel K(x, y) = phi(x)^T phi(y)."""
        return self._projection_dpp(check_random_state(random_state))

    def optimal_iid(self, n, random_state=None):
        """``n`` i.i.d. points from the optimal density (k_m / m) dmu."""
        return self._optimal(_check_count(n), check_random_state(random_state))

    def conditioned_iid(self, n, *, gram_tol=0.5, max_draws=100, random_state=None):
        """``n`` i.i.d. optimal points conditioned on a stable Gram matrix.

        The law of n i.i.d. points from (k_m / m) dmu conditioned on the event
        A_delta = {||G - I||_2 <= delta}, delta = ``gram_tol`` (the conditioned
        sampling of Cohen & Migliorati that Nouy & Michel recall, delta = 1/2),
        drawn by rejection: all n points are redrawn until the Gram matrix
        G = (1/n) sum_i w(x_i) phi(x_i) phi(x_i)^T satisfies the condition, so
        every returned sample does. Why it helps: with g = f - P_m f and
        b = (1/n) sum_i w(x_i) g(x_i) phi(x_i), the fit's error is
        ||f - f_n||^2 = ||g||^2 + ||G^{-1} b||^2 with E ||b||^2 = (m / n) ||g||^2
        (i.i.d.), and ||G^{-1}||_2 <= 1 / (1 - delta) on A_delta, so

            E[||f - f_n||^2 | A_delta] <= (1 + m / (n (1 - delta)^2 P(A_delta)))
                                          ||g||^2,

        while plain i.i.d. sampling has no such bound (G may be nearly singular).
        Each draw is accepted with probability P(A_delta), close to 1 once n is
        of order m log m and negligible near n = m.

        Parameters
        ----------
        n : int
            Number of points, at least m (with fewer, G is singular and
            ||G - I||_2 >= 1).
        gram_tol : float, default=0.5
            delta, in (0, 1).
        max_draws : int, default=100
            Most draws of n points; a ``ValueError`` says when none was accepted.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        sample : ndarray
            The first accepted draw.
        """
        n = _check_count(n)
        max_draws = _check_count(max_draws, "max_draws")
        if not 0 < gram_tol < 1:
            raise ValueError(
                f"gram_tol (delta) must lie in (0, 1) for conditioned i.i.d. "
                f"sampling, got {gram_tol!r}."
            )
        if n < self.n_basis:
            raise ValueError(
                f"conditioned i.i.d. sampling needs n >= m = {self.n_basis} points "
                f"(with fewer, ||G - I||_2 >= 1), got n={n}."
            )
        rng = check_random_state(random_state)
        closest = math.inf
        for _ in range(max_draws):
            sample = self._optimal(n, rng)
            deviation = gram_deviation(self.gram(sample))
            if deviation <= gram_tol:
                return sample
            closest = min(closest, deviation)
        raise ValueError(
            f"conditioned i.i.d. sampling: none of {max_draws} draws of n={n} "
            f"points had ||G - I||_2 <= gram_tol={gram_tol} (closest "
            f"{closest:.3g}); the event is likely only for n of order m log m "
            f"(m = {self.n_basis}): increase n, gram_tol or the number of draws."
        )

    def uniform(self, n, random_state=None):
        """``n`` i.i.d. points from mu itself (unweighted least squares)."""
        return self._uniform(_check_count(n), check_random_state(random_state))

    def volume_rescaled(self, n, random_state=None):
        """``n >= m`` points from volume-rescaled sampling.

        The density det(sum_i w(x_i) phi(x_i) phi(x_i)^T) prod_i rho(x_i) (up to
        (n - m)! / n!) is m projection-DPP points and n - m i.i.d. points from rho,
        in a uniformly random order.
        """
        n = _check_count(n)
        if n < self.n_basis:
            raise ValueError(
                f"volume-rescaled sampling needs n >= m = {self.n_basis} points, "
                f"got n={n}."
            )
        rng = check_random_state(random_state)
        dpp = self._projection_dpp(rng)
        sample = self._concat([dpp, self._optimal(n - self.n_basis, rng)])
        return self._permuted(sample, rng.permutation(n))

    def repeated_dpp(
        self,
        n_repetitions=None,
        *,
        gram_tol=0.5,
        max_repetitions=100,
        random_state=None,
    ):
        """Independent projection-DPP samples, concatenated.

        Parameters
        ----------
        n_repetitions : int or None, default=None
            How many DPP samples to draw. None draws until the Gram matrix of all
            the points drawn so far is stable, ||G - I||_2 <= ``gram_tol``.
        gram_tol : float, default=0.5
            Stability threshold delta when ``n_repetitions`` is None.
        max_repetitions : int, default=100
            Upper bound on the repetitions when ``n_repetitions`` is None; a
            ``UserWarning`` says when it is reached before stability.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        sample : ndarray
            ``l * m`` points, l the number of repetitions.
        """
        rng = check_random_state(random_state)
        if n_repetitions is not None:
            n_repetitions = _check_count(n_repetitions, "n_repetitions")
            return self._concat(
                [self._projection_dpp(rng) for _ in range(n_repetitions)]
            )
        max_repetitions = _check_count(max_repetitions, "max_repetitions")
        blocks, gram_sum = [], 0.0
        for repetition in range(1, max_repetitions + 1):
            block = self._projection_dpp(rng)
            blocks.append(block)
            gram_sum = gram_sum + self.gram(block) * self.n_basis
            if gram_deviation(gram_sum / (repetition * self.n_basis)) <= gram_tol:
                break
        else:
            warnings.warn(
                f"repeated DPP sampling reached max_repetitions={max_repetitions} "
                f"before ||G - I||_2 <= gram_tol={gram_tol}; increase "
                "max_repetitions or gram_tol.",
                UserWarning,
                stacklevel=2,
            )
        return self._concat(blocks)

    def sample(
        self,
        strategy="dpp",
        n=None,
        *,
        gram_tol=0.5,
        max_repetitions=100,
        random_state=None,
    ):
        """Draw a sample by ``strategy`` and return it with its least-squares weights.

        Parameters
        ----------
        strategy : {"dpp", "repeated_dpp", "volume", "iid_optimal", \
                "iid_conditioned", "uniform"}, default="dpp"
            ``"dpp"``: the m points of one projection DPP; ``"repeated_dpp"``:
            ceil(n / m) independent DPP samples, or as many as needed for
            ||G - I||_2 <= ``gram_tol`` when ``n`` is None; ``"volume"``:
            volume-rescaled sampling of n points; ``"iid_optimal"``: n i.i.d. points
            from (k_m / m) dmu; ``"iid_conditioned"``: n i.i.d. points from
            (k_m / m) dmu redrawn until ||G - I||_2 <= ``gram_tol``
            (:meth:`conditioned_iid`); ``"uniform"``: n i.i.d. points from mu.
        n : int or None, default=None
            Number of points; None means m (or the stability rule for
            ``"repeated_dpp"``). ``"dpp"`` always draws m points;
            ``"iid_conditioned"`` needs an n (near m it is never accepted).
        gram_tol : float, default=0.5
            delta of ``"repeated_dpp"`` (stop rule) and ``"iid_conditioned"``
            (acceptance rule).
        max_repetitions : int, default=100
            Most DPP samples of ``"repeated_dpp"``, most draws of
            ``"iid_conditioned"``.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        sample : ndarray
            Row indices into the pool, or points of the domain.
        weights : ndarray of shape (len(sample),)
            m / k_m(x_i) for the strategies drawing from the optimal density (the
            DPP marginals are (k_m / m) dmu too), 1 for ``"uniform"``.
        """
        if strategy not in STRATEGIES:
            raise ValueError(
                f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}."
            )
        m = self.n_basis
        rng = check_random_state(random_state)
        if strategy == "dpp":
            if n is not None and n != m:
                raise ValueError(
                    f"a projection DPP has exactly m = {m} points, got n={n}; use "
                    "'repeated_dpp' or 'volume' for more points."
                )
            sample = self._projection_dpp(rng)
        elif strategy == "repeated_dpp":
            repetitions = None if n is None else math.ceil(_check_count(n) / m)
            sample = self.repeated_dpp(
                repetitions,
                gram_tol=gram_tol,
                max_repetitions=max_repetitions,
                random_state=rng,
            )
        elif strategy == "volume":
            sample = self.volume_rescaled(m if n is None else n, rng)
        elif strategy == "iid_optimal":
            sample = self.optimal_iid(m if n is None else n, rng)
        elif strategy == "iid_conditioned":
            if n is None:
                raise ValueError(
                    "'iid_conditioned' needs the number of points n: near n = m "
                    "the condition ||G - I||_2 <= gram_tol is almost never met."
                )
            sample = self.conditioned_iid(
                n, gram_tol=gram_tol, max_draws=max_repetitions, random_state=rng
            )
        else:
            sample = self.uniform(m if n is None else n, rng)
            ones = self._xp.ones(
                sample.shape[0], dtype=self._float, device=self._device
            )
            return sample, ones
        return sample, self.weights(sample)
