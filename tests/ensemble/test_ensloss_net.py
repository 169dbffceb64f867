"""EnsLossNetClassifier: a user's torch module (here a tiny CNN) trained by EnsLoss."""

import pickle

import numpy as np
import pytest

from skpapers import EnsLossNetClassifier

torch = pytest.importorskip("torch")


class TinyCNN(torch.nn.Module):
    """One 3x3 convolution (2 channels, no padding), ReLU, a linear read-out."""

    def __init__(self, n_features, n_outputs, channels=2):
        super().__init__()
        self.side = int(round(n_features**0.5))
        self.conv = torch.nn.Conv2d(1, channels, 3)
        inner = self.side - 2
        self.out = torch.nn.Linear(channels * inner * inner, n_outputs)

    def forward(self, X):
        images = X.reshape(-1, 1, self.side, self.side)
        return self.out(torch.relu(self.conv(images)).flatten(1))


def _images(n, side=5, seed=0):
    """Bright top rows (class 1) or bright bottom rows (class 0), plus noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    images = 0.3 * rng.standard_normal((n, side, side))
    images[y == 1, :2] += 1.0
    images[y == 0, -2:] += 1.0
    return images.reshape(n, -1), y


def _hand_forward(X, parameters, side):
    """The TinyCNN's scores written out in NumPy: convolution by explicit sums."""
    kernel, conv_bias, weight, bias = parameters  # (c, 1, 3, 3), (c,), (o, .), (o,)
    images = X.reshape(len(X), side, side)
    inner = side - 2
    hidden = np.zeros((len(X), kernel.shape[0], inner, inner))
    for c in range(kernel.shape[0]):
        for i in range(inner):
            for j in range(inner):
                patch = images[:, i : i + 3, j : j + 3]
                hidden[:, c, i, j] = (patch * kernel[c, 0]).sum(axis=(1, 2))
        hidden[:, c] += conv_bias[c]
    hidden = np.maximum(hidden, 0.0).reshape(len(X), -1)
    return hidden @ weight.T + bias


def test_cnn_trains_on_tiny_images_and_matches_a_hand_written_forward_pass():
    X, y = _images(60)
    X_test, y_test = _images(40, seed=1)
    clf = EnsLossNetClassifier(
        TinyCNN, max_epochs=30, batch_size=16, lr=0.05, random_state=0
    ).fit(X, y)
    assert clf.score(X_test, y_test) > 0.95
    assert [p.shape for p in clf.parameters_] == [(2, 1, 3, 3), (2,), (1, 18), (1,)]
    expected = _hand_forward(X_test, clf.parameters_, side=5)[:, 0]
    np.testing.assert_allclose(
        clf.decision_function(X_test), expected, rtol=1e-10, atol=1e-12
    )
    # the fitted state pickles, and predicts the same after the round trip
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        clone.decision_function(X_test), clf.decision_function(X_test)
    )


def test_module_params_reach_the_module_and_seeds_are_reproducible():
    X, y = _images(30)
    params = dict(module_params={"channels": 3}, max_epochs=2, random_state=3)
    first = EnsLossNetClassifier(TinyCNN, **params).fit(X, y)
    second = EnsLossNetClassifier(TinyCNN, **params).fit(X, y)
    assert first.parameters_[0].shape == (3, 1, 3, 3)
    for a, b in zip(first.parameters_, second.parameters_):
        np.testing.assert_array_equal(a, b)
    # building the module draws from torch's generator, which is left as it was
    state = torch.random.get_rng_state()
    EnsLossNetClassifier(TinyCNN, **params).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_module_that_is_not_a_torch_module_is_an_error():
    X, y = _images(20)
    with pytest.raises(ValueError, match="torch.nn.Module"):
        EnsLossNetClassifier(lambda n_features, n_outputs: None).fit(X, y)
