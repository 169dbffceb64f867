"""The MLP model of EnsLossClassifier: NumPy parameters, trained with torch.

The network's parameters live in NumPy arrays (``coefs_`` and ``intercepts_`` of
the estimator, like scikit-learn's ``MLPClassifier``), so a fitted model pickles
without torch and predicts with NumPy alone. Only training imports torch, inside
:func:`train_mlp`; importing this module does not.

All randomness (initial weights, batch order, the random derivatives' normal
draws) comes from the estimator's NumPy generator, so torch needs no seed and a
given ``random_state`` gives bit-identical parameters on a given machine.
"""

import numpy as np

from ._ensloss_derivatives import loss_derivatives


def resolve_device(device):
    """The torch device for ``device`` in {"cpu", "cuda"}; CUDA only when asked.

    Raises
    ------
    ValueError
        If ``device="cuda"`` and torch sees no CUDA device.
    """
    import torch

    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                "device='cuda' was requested, but torch finds no CUDA device "
                f"(torch {torch.__version__}: torch.cuda.is_available() is False). "
                "Use device='cpu', or install a CUDA build of torch on a machine "
                "with an NVIDIA GPU."
            )
        return torch.device("cuda")
    return torch.device("cpu")


def divergence_message(epoch):
    """The error message for weights that became non-finite in ``epoch``."""
    return (
        f"Training diverged in epoch {epoch} of this call: the weights are no "
        "longer finite. Lower lr, standardise the features, or use a bounded "
        "loss (the exponential loss's derivative grows without bound)."
    )


def init_mlp(layer_sizes, rng, dtype=np.float64):
    """Initial weights and biases of an MLP, drawn from ``rng``.

    Each layer is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the default of
    ``torch.nn.Linear``.

    Parameters
    ----------
    layer_sizes : sequence of int
        Input width, hidden widths, output width.
    rng : numpy.random.Generator
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)
    """
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs, intercepts


def mlp_forward(X, coefs, intercepts):
    """Scores of the MLP (ReLU hidden layers, linear output) in NumPy.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_outputs)
    """
    hidden = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        hidden = np.maximum(hidden @ W + b, 0.0)
    return hidden @ coefs[-1] + intercepts[-1]


def train_mlp(
    X,
    Y,
    coefs,
    intercepts,
    velocities,
    epochs,
    *,
    loss,
    momentum,
    weight_decay,
    batch_size,
    device="cpu",
):
    """Mini-batch SGD with momentum on the MLP, with random or fixed derivatives.

    Each step takes the batch's margins ``s = Y * scores``, the loss derivatives
    ``g`` at them (:func:`loss_derivatives`), and the gradient of
    ``sum(g * s) / batch`` with ``g`` held fixed; then
    ``v = momentum * v + grad (+ weight_decay * W for weights)``, ``p -= lr * v``:
    the update of ``torch.optim.SGD``, written out so the momentum buffers can be
    kept between ``partial_fit`` calls.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Training runs in this precision.
    Y : ndarray of shape (n_samples, n_outputs)
        +-1 labels, one column per binary (one-vs-rest) problem.
    coefs, intercepts : lists of ndarray
        Initial parameters (see :func:`init_mlp`); not modified.
    velocities : list of ndarray
        Momentum buffers, in the order ``W_1, b_1, W_2, b_2, ...``.
    epochs : iterable of (lr, boxcox_lambda, order, normals)
        One entry per epoch: the step size, the Box-Cox parameter, the
        permutation of the samples, and standard normal draws of shape
        (n_samples, n_outputs) (None for a fixed loss), row ``start + b`` for
        position ``b`` of the batch starting at ``start``.
    loss : {"ensloss", "bce", "hinge", "exponential"}
    momentum, weight_decay : float
    batch_size : int
    device : {"cpu", "cuda"}, default="cpu"

    Returns
    -------
    coefs, intercepts, velocities : lists of ndarray
        The trained parameters and buffers, as NumPy arrays of ``X``'s dtype.
    n_updates : int
        Number of SGD steps taken.
    """
    import torch

    torch_device = resolve_device(device)
    # One intra-op thread on the CPU: these nets are small, so extra threads
    # only add synchronisation (ruinous on a loaded machine), and the result
    # then does not depend on the machine's core count.
    threads = torch.get_num_threads()
    if torch_device.type == "cpu":
        torch.set_num_threads(1)
    try:
        return _train(
            torch,
            torch_device,
            X,
            Y,
            coefs,
            intercepts,
            velocities,
            epochs,
            loss=loss,
            momentum=momentum,
            weight_decay=weight_decay,
            batch_size=batch_size,
        )
    finally:
        torch.set_num_threads(threads)


def _train(
    torch,
    torch_device,
    X,
    Y,
    coefs,
    intercepts,
    velocities,
    epochs,
    *,
    loss,
    momentum,
    weight_decay,
    batch_size,
):
    if not X.flags.writeable:  # torch wants writable memory (a read-only memmap)
        X = np.array(X)
    X_t = torch.as_tensor(X, device=torch_device)
    Y_t = torch.as_tensor(Y, dtype=X_t.dtype, device=torch_device)
    params = []
    for W, b in zip(coefs, intercepts):
        params += [W, b]
    params = [
        torch.tensor(p, dtype=X_t.dtype, device=torch_device, requires_grad=True)
        for p in params
    ]
    buffers = [
        torch.tensor(v, dtype=X_t.dtype, device=torch_device) for v in velocities
    ]
    decayed = [p.ndim == 2 for p in params]  # weights, not biases
    n_samples = X.shape[0]
    n_updates = 0
    for epoch, (lr, boxcox_lambda, order, normals) in enumerate(epochs, start=1):
        order_t = torch.as_tensor(order, device=torch_device)
        for start in range(0, n_samples, batch_size):
            stop = min(start + batch_size, n_samples)
            index = order_t[start:stop]
            hidden = X_t[index]
            for layer in range(0, len(params) - 2, 2):
                hidden = torch.relu(hidden @ params[layer] + params[layer + 1])
            margins = Y_t[index] * (hidden @ params[-2] + params[-1])
            derivatives = loss_derivatives(
                margins.detach().cpu().numpy(),
                loss,
                None if normals is None else normals[start:stop],
                boxcox_lambda,
            )
            derivatives = torch.as_tensor(
                derivatives, dtype=X_t.dtype, device=torch_device
            )
            objective = (derivatives * margins).sum() / (stop - start)
            grads = torch.autograd.grad(objective, params)
            with torch.no_grad():
                for p, v, grad, decay in zip(params, buffers, grads, decayed):
                    if decay:
                        grad = grad + weight_decay * p
                    v.mul_(momentum).add_(grad)
                    p.sub_(lr * v)
            n_updates += 1
        if not all(bool(torch.isfinite(p).all()) for p in params):
            raise ValueError(divergence_message(epoch))

    def to_numpy(tensors):
        return [t.detach().cpu().numpy().astype(X.dtype, copy=True) for t in tensors]

    trained = to_numpy(params)
    return trained[0::2], trained[1::2], to_numpy(buffers), n_updates
