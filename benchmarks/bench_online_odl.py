"""Streaming dictionary learning: OnlineOrthogonalDictionaryLearning against
scikit-learn's MiniBatchDictionaryLearning.

Both contenders are fed the same stream, one ``partial_fit`` per mini-batch of 256
samples: ``y = D0 x`` with a random orthogonal ``D0`` (n = 64) and Bernoulli-Gaussian
codes (rate 0.3), 100,000 samples in all. The time is the whole stream (so the
speed-up is the ratio of throughputs in samples per second), the quality the
recovery error ``|sum((C C0^T)^4) / n - 1|`` (the authors' metric) of the final
dictionary (0 is a signed
permutation of ``D0``). MiniBatchDictionaryLearning runs with ``n_components=64``
and its default ``fit_algorithm="lars"``, then with ``"cd"`` (faster, same
dictionary here). Smoke: n = 16, 5,120 samples.
"""

import numpy as np

from benchmarks import Case, Contender, register_benchmark
from skpapers import OnlineOrthogonalDictionaryLearning
from skpapers.datasets import make_orthogonal_sparse
from skpapers.decomposition import dictionary_recovery_error

BATCH_SIZE = 256


def _stream(estimator, batches):
    for batch in batches:
        estimator.partial_fit(batch)
    return estimator.components_


@register_benchmark("online_odl")
def cases(smoke):
    from sklearn.decomposition import MiniBatchDictionaryLearning

    n, n_samples = (16, 5_120) if smoke else (64, 100_000)
    X, dictionary, _ = make_orthogonal_sparse(n_samples, n, random_state=0)
    batches = np.array_split(X, -(-n_samples // BATCH_SIZE))

    def ours():
        return _stream(OnlineOrthogonalDictionaryLearning(random_state=1), batches)

    def quality(components):
        return dictionary_recovery_error(components, dictionary)

    for algorithm in ("lars", "cd"):

        def peer(algorithm=algorithm):
            mbdl = MiniBatchDictionaryLearning(
                n_components=n,
                batch_size=BATCH_SIZE,
                fit_algorithm=algorithm,
                random_state=1,
            )
            return _stream(mbdl, batches)

        yield Case(
            label=f"n={n}, {n_samples} samples streamed",
            ours=Contender("OnlineOrthogonalDictionaryLearning", ours),
            peer=Contender(f"MiniBatchDictionaryLearning ({algorithm})", peer),
            quality=quality,
            quality_name="recovery error",
        )
