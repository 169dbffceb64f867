import array_api_strict
import numpy as np
import pytest
import sklearn

from skpapers.utils import (
    device,
    float_dtype,
    get_namespace,
    is_numpy_namespace,
    to_numpy,
)


def test_numpy_when_dispatch_is_off():
    xp, is_array_api = get_namespace(array_api_strict.asarray([1.0]))
    assert xp is np and not is_array_api


def test_input_namespace_when_dispatch_is_on():
    x = array_api_strict.asarray([1.0, 2.0])
    with sklearn.config_context(array_api_dispatch=True):
        xp, is_array_api = get_namespace(x, None)
    assert is_array_api and xp.__name__ == "array_api_strict"
    assert not is_numpy_namespace(xp)


def test_numpy_inputs_with_dispatch_on_keep_numba_path():
    with sklearn.config_context(array_api_dispatch=True):
        xp, _ = get_namespace(np.ones(2))
    assert is_numpy_namespace(xp)


def test_mixed_namespaces_are_refused():
    with sklearn.config_context(array_api_dispatch=True), pytest.raises(TypeError):
        get_namespace(np.ones(2), array_api_strict.asarray([1.0]))


def test_to_numpy_and_device_across_namespaces():
    torch = pytest.importorskip("torch")
    for x in (
        np.arange(3.0),
        array_api_strict.asarray([0.0, 1.0, 2.0]),
        torch.arange(3.0, requires_grad=True),
        array_api_strict.asarray(
            [0.0, 1.0, 2.0], device=array_api_strict.Device("device1")
        ),
    ):
        out = to_numpy(x)
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, [0.0, 1.0, 2.0])
    assert device(np.ones(1)) == "cpu"
    assert str(device(torch.ones(1))) == "cpu"


def test_float_dtype_keeps_float32_else_float64():
    assert float_dtype(np, np.ones(1, dtype=np.float32)) == np.float32
    assert float_dtype(np, np.ones(1, dtype=np.int64)) == np.float64


class _Fitted:
    def __init__(self, coef):
        self.coef_ = coef


def test_check_same_namespace():
    from skpapers.utils import check_same_namespace

    strict_fit = _Fitted(array_api_strict.asarray([1.0]))
    numpy_fit = _Fitted(np.ones(1))
    with sklearn.config_context(array_api_dispatch=True):
        check_same_namespace(
            array_api_strict.asarray([[1.0]]), strict_fit, attribute="coef_", method="m"
        )
        check_same_namespace([[1.0]], numpy_fit, attribute="coef_", method="m")
        with pytest.raises(
            ValueError, match="same namespace.*fitted with array_api_strict.*got NumPy"
        ):
            check_same_namespace(
                np.ones((1, 1)), strict_fit, attribute="coef_", method="m"
            )
        other_device = array_api_strict.asarray(
            [[1.0]], device=array_api_strict.Device("device1")
        )
        with pytest.raises(ValueError, match="device"):
            check_same_namespace(
                other_device, strict_fit, attribute="coef_", method="m"
            )
    # without dispatch nothing is checked
    check_same_namespace(np.ones((1, 1)), strict_fit, attribute="coef_", method="m")
