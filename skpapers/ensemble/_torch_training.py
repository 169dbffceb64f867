"""EnsLoss training of torch networks: the built-in MLP and any ``nn.Module``.

One SGD loop (:func:`_sgd`) serves both models: the MLP's parameters are NumPy
arrays made leaf tensors for the call (``coefs_``/``intercepts_`` of the
estimator, so a fitted MLP pickles and predicts without torch); a user module's
are its own ``parameters()``.

Importing this module does not import torch (estimator discovery imports every
module): each function imports it, and the default module class ``ReLUMLP`` is
defined on first use, cached, and found by name through the module's
``__getattr__``, so fitted networks pickle like any other object.

The randomness of training (batch order, the random derivatives' normal draws)
comes from the estimator's NumPy plan, so torch's generators are not used while
training; a user module's initial weights are drawn from torch's generator
seeded inside :func:`build_module` and restored after.
"""

import functools

import numpy as np

from ..utils._torch import check_device, torch_threads
from ._ensloss_derivatives import loss_derivatives


def _mlp_forward(params):
    """The ReLU MLP's forward pass on ``params = [W_1, b_1, W_2, b_2, ...]``."""
    import torch

    def forward(hidden):
        # addmm: the product and the bias in one operation (and one backward)
        for layer in range(0, len(params) - 2, 2):
            hidden = torch.relu(torch.addmm(params[layer + 1], hidden, params[layer]))
        return torch.addmm(params[-1], hidden, params[-2])

    return forward


@functools.cache
def _relu_mlp_class():
    """The class ``ReLUMLP``, defined once (pickle needs the very same object)."""
    import torch

    class ReLUMLP(torch.nn.Module):
        """The ReLU MLP as a torch module: the Net estimator's default ``module``.

        Weights ``W_i`` of shape (fan_in, fan_out), initialised as
        ``nn.Linear``'s (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), and the forward
        pass of :class:`~skpapers.ensemble.EnsLossMLPClassifier`.
        """

        def __init__(self, n_features, n_outputs, hidden_layer_sizes=(100,)):
            super().__init__()
            sizes = [n_features, *hidden_layer_sizes, n_outputs]
            self.layers = torch.nn.ParameterList()
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
                bound = fan_in**-0.5
                weight = torch.empty(fan_in, fan_out).uniform_(-bound, bound)
                self.layers.append(weight)
                self.layers.append(torch.empty(fan_out).uniform_(-bound, bound))

        def forward(self, X):
            return _mlp_forward(list(self.layers))(X)

    ReLUMLP.__module__ = __name__
    ReLUMLP.__qualname__ = "ReLUMLP"
    return ReLUMLP


def __getattr__(name):
    if name == "ReLUMLP":
        return _relu_mlp_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def train_mlp(
    X,
    Y,
    coefs,
    intercepts,
    velocities,
    plan,
    *,
    loss,
    momentum,
    weight_decay,
    batch_size,
    monitor,
    device="cpu",
):
    """Mini-batch SGD with momentum on the ReLU MLP, random or fixed derivatives.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Training runs in this precision.
    Y : ndarray of shape (n_samples, n_outputs)
        +-1 labels, one column per binary (one-vs-rest) problem.
    coefs, intercepts : lists of ndarray
        Initial parameters (``coefs[i]`` of shape (fan_in, fan_out)); not modified.
    velocities : list of ndarray
        Momentum buffers, in the order ``W_1, b_1, W_2, b_2, ...``.
    plan : iterable
        See :func:`~skpapers.ensemble._solvers.epoch_plan`.
    loss : {"ensloss", "bce", "hinge", "exponential"}
    momentum, weight_decay : float
    batch_size : int
    monitor : ~skpapers.ensemble._solvers.TrainingMonitor
    device : str, default="cpu"

    Returns
    -------
    coefs, intercepts, velocities : lists of ndarray
        The trained parameters and buffers, as NumPy arrays of ``X``'s dtype.
    n_updates : int
        Number of SGD steps taken.
    """
    import torch

    torch_device = check_device(device)
    params = [p for pair in zip(coefs, intercepts) for p in pair]
    params = [torch.tensor(p, device=torch_device, requires_grad=True) for p in params]
    with torch_threads(1):
        buffers, n_updates = _sgd(
            params,
            _mlp_forward(params),
            X,
            Y,
            velocities,
            plan,
            loss=loss,
            momentum=momentum,
            weight_decay=weight_decay,
            batch_size=batch_size,
            monitor=monitor,
        )
    trained = _to_numpy(params, X.dtype)
    return trained[0::2], trained[1::2], buffers, n_updates


def build_module(
    module, n_features, n_outputs, module_params, seed, dtype, parameters=None
):
    """``module(n_features, n_outputs, **module_params)`` in ``dtype``, on the CPU.

    With ``parameters`` (arrays in ``parameters()`` order) the module takes
    those values instead of its initial ones.

    ``module=None`` is :class:`ReLUMLP`. Its initial weights are drawn from
    torch's global generator seeded with ``seed``; the generator's state is
    restored afterwards.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = (module or _relu_mlp_class())(
            n_features, n_outputs, **(module_params or {})
        )
    if not isinstance(net, torch.nn.Module):
        raise ValueError(
            f"module must be a torch.nn.Module class; module(...) returned a "
            f"{type(net).__name__}."
        )
    net = net.to(torch.float32 if dtype == np.float32 else torch.float64)
    if parameters is not None:
        with torch.no_grad():
            for p, value in zip(net.parameters(), parameters):
                p.copy_(torch.as_tensor(value))
    return net


def train_module(
    X,
    Y,
    module,
    velocities,
    plan,
    *,
    loss,
    momentum,
    weight_decay,
    batch_size,
    monitor,
    device="cpu",
):
    """Mini-batch SGD with momentum on a torch module (trained in place).

    Same settings as :func:`train_mlp`; ``module`` maps a (batch, n_features)
    tensor to (batch, n_outputs) scores. Weights (parameters of two or more
    dimensions) are decayed, biases are not.

    Returns
    -------
    parameters : list of ndarray
        The trained parameters, in ``module.parameters()`` order.
    velocities : list of ndarray
    n_updates : int
    """
    torch_device = check_device(device)
    module = module.to(torch_device).train()
    with torch_threads(1):
        buffers, n_updates = _sgd(
            list(module.parameters()),
            module,
            X,
            Y,
            velocities,
            plan,
            loss=loss,
            momentum=momentum,
            weight_decay=weight_decay,
            batch_size=batch_size,
            monitor=monitor,
        )
    return _to_numpy(list(module.parameters()), X.dtype), buffers, n_updates


def module_scores(module, X):
    """Scores of a trained module on ``X`` (NumPy in, NumPy out, on the CPU)."""
    import torch

    with torch_threads(1), torch.no_grad():
        inputs = torch.as_tensor(np.array(X, copy=not X.flags.writeable))
        return module.eval()(inputs).numpy()


def _to_numpy(tensors, dtype):
    return [t.detach().cpu().numpy().astype(dtype, copy=True) for t in tensors]


def _sgd(
    params,
    forward,
    X,
    Y,
    velocities,
    plan,
    *,
    loss,
    momentum,
    weight_decay,
    batch_size,
    monitor,
):
    """The SGD loop: ``params`` (leaf tensors) trained in place; buffers returned.

    Each step takes the batch's margins ``s = Y * scores``, the loss derivatives
    ``g`` at them (:func:`loss_derivatives`), and the gradient of
    ``sum(g * s) / batch`` with ``g`` held fixed; then
    ``v = momentum * v + grad (+ weight_decay * W for weights)``, ``p -= lr * v``:
    the update of ``torch.optim.SGD``, written out so the momentum buffers can be
    kept between ``partial_fit`` calls.
    """
    import torch

    torch_device = params[0].device
    if not X.flags.writeable:  # torch wants writable memory (a read-only memmap)
        X = np.array(X)
    X_t = torch.as_tensor(X, device=torch_device)
    Y_t = torch.as_tensor(Y, dtype=X_t.dtype, device=torch_device)
    buffers = [
        torch.tensor(v, dtype=X_t.dtype, device=torch_device) for v in velocities
    ]
    decayed = [i for i, p in enumerate(params) if p.ndim >= 2]  # not biases
    n_samples = X.shape[0]
    n_updates = 0
    for epoch, (lr, boxcox_lambda, order, normals) in enumerate(plan, start=1):
        # One gather per epoch; the batches are then views (small nets spend
        # their time in per-operation overhead, not in arithmetic).
        order_t = torch.as_tensor(order, device=torch_device)
        X_epoch, Y_epoch = X_t[order_t], Y_t[order_t]
        loss_sum, max_abs_score = 0.0, 0.0
        for start in range(0, n_samples, batch_size):
            stop = min(start + batch_size, n_samples)
            margins = Y_epoch[start:stop] * forward(X_epoch[start:stop])
            margins_np = margins.detach().cpu().numpy()
            max_abs_score = max(max_abs_score, float(np.abs(margins_np).max()))
            if not np.isfinite(max_abs_score):
                break
            loss_sum += float(np.maximum(1.0 - margins_np, 0.0).sum())
            derivatives = loss_derivatives(
                margins_np,
                loss,
                None if normals is None else normals[start:stop],
                boxcox_lambda,
            )
            # The gradient of sum(g * s) / B with g fixed: backpropagate g / B.
            weights = torch.as_tensor(
                derivatives / (stop - start), dtype=X_t.dtype, device=torch_device
            )
            grads = list(torch.autograd.grad(margins, params, grad_outputs=weights))
            with torch.no_grad():
                if weight_decay:
                    torch._foreach_add_(
                        [grads[i] for i in decayed],
                        [params[i] for i in decayed],
                        alpha=weight_decay,
                    )
                torch._foreach_mul_(buffers, momentum)
                torch._foreach_add_(buffers, grads)
                torch._foreach_add_(params, buffers, alpha=-lr)
            n_updates += 1
        finite = all(bool(torch.isfinite(p).all()) for p in params)
        monitor.end_epoch(epoch, loss_sum / Y.size, max_abs_score, finite)
    return _to_numpy(buffers, X.dtype), n_updates
