import numpy as np
import pytest

from skpapers.utils import check_partial_fit_classes, keep_state_on_error


class Model:
    def __init__(self):
        self.weights_ = np.zeros(3)
        self.n_seen_ = 0

    @keep_state_on_error
    def update(self, batch):
        self.n_seen_ += len(batch)
        self.weights_ += 1.0  # in place: a shallow copy would not restore it
        if np.isnan(batch).any():
            raise ValueError("batch contains NaN")
        self.extra_ = True


def test_state_restored_after_failure_including_in_place_changes():
    model = Model()
    model.update(np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        model.update(np.array([np.nan]))
    assert model.n_seen_ == 2
    np.testing.assert_array_equal(model.weights_, np.ones(3))


def test_state_restored_removes_new_attributes():
    model = Model()
    with pytest.raises(ValueError):
        model.update(np.array([np.nan]))
    assert not hasattr(model, "extra_")


def test_first_call_needs_classes():
    with pytest.raises(ValueError, match="first call"):
        check_partial_fit_classes(None, None, np.array([0, 1]))
    classes_ = check_partial_fit_classes(None, [2, 0, 1], np.array([0, 1]))
    np.testing.assert_array_equal(classes_, [0, 1, 2])


def test_later_calls_check_classes_and_labels():
    seen = np.array([0, 1, 2])
    np.testing.assert_array_equal(check_partial_fit_classes(seen, None, [1]), seen)
    with pytest.raises(ValueError, match="not the same"):
        check_partial_fit_classes(seen, [0, 1], np.array([1]))
    with pytest.raises(ValueError, match=r"labels \[3\]"):
        check_partial_fit_classes(seen, None, np.array([1, 3]))


def test_failed_call_puts_back_the_users_parameter_objects():
    from sklearn.base import BaseEstimator

    class Estimator(BaseEstimator):
        def __init__(self, random_state=None, priors=None):
            self.random_state = random_state
            self.priors = priors

        @keep_state_on_error
        def fit(self, X):
            self.coef_ = np.ones(2)
            raise ValueError("bad X")

    rng, priors = np.random.RandomState(0), [0.5, 0.5]
    est = Estimator(random_state=rng, priors=priors)
    with pytest.raises(ValueError, match="bad X"):
        est.fit(None)
    assert est.random_state is rng and est.priors is priors
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_check_magnitude_refuses_values_whose_squares_overflow(dtype):
    from skpapers.utils import check_magnitude

    limit = np.sqrt(np.finfo(dtype).max / 4)
    ok = np.full(4, limit / 2, dtype=dtype)
    assert check_magnitude(ok) is ok
    assert np.isfinite(np.sum(np.abs(ok) ** 2))
    bad = np.full(4, limit * 2, dtype=dtype)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.sum(np.abs(bad) ** 2))
    with pytest.raises(ValueError, match=r"y has values of magnitude up to"):
        check_magnitude(bad, "y")
    # float64 data computed in float32 is judged against float32's range
    with pytest.raises(ValueError, match="float32"):
        check_magnitude(np.full(2, 1e30), dtype=np.float32)


def test_nan_is_not_a_class():
    with pytest.raises(ValueError, match="classes contains NaN"):
        check_partial_fit_classes(None, [0.0, 1.0, np.nan], np.array([0.0, 1.0]))
