"""
Learning an orthogonal dictionary from a stream
===============================================

:class:`~skpapers.OnlineOrthogonalDictionaryLearning` learns a dictionary in
which the data are sparse, one mini-batch at a time, and keeps only two
``n x n`` matrices between batches: nothing of the stream is stored. The
dictionary is orthogonal, so the code of a sample is one matrix product followed
by thresholding, and the sample is rebuilt by the transposed product.

We stream synthetic data from a known orthogonal dictionary and watch the
recovery error and the Frank-Wolfe gap fall, then use the learned dictionary on
image patches, where it gives sparse codes and compact reconstructions.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_sample_images
from sklearn.feature_extraction.image import extract_patches_2d

from skpapers import OnlineOrthogonalDictionaryLearning
from skpapers.datasets import make_orthogonal_sparse
from skpapers.decomposition import dictionary_recovery_error

# %%
# A stream of sparse signals
# --------------------------
# ``y = D0 x``: a random orthogonal ``D0`` (n = 32) and codes with 30 % non-zero
# Gaussian entries. The data arrive as 300 batches of 128 samples; one
# ``partial_fit`` per batch.
X, dictionary, code = make_orthogonal_sparse(300 * 128, 32, random_state=0)
odl = OnlineOrthogonalDictionaryLearning(random_state=1)
errors, gaps = [], []
for batch in np.split(X, 300):
    odl.partial_fit(batch)
    errors.append(dictionary_recovery_error(odl.components_, dictionary))
    gaps.append(odl.fw_gap_)

fig, (ax_error, ax_gap) = plt.subplots(1, 2, figsize=(10, 3.5))
samples = 128 * np.arange(1, 301)
ax_error.semilogy(samples, errors)
ax_error.set_xlabel("samples streamed")
ax_error.set_title("recovery error 1 - ||C C0^T||_4^4 / n")
ax_gap.semilogy(samples, gaps)
ax_gap.set_xlabel("samples streamed")
ax_gap.set_title("Frank-Wolfe gap")
fig.tight_layout()

C = odl.components_
print(f"final recovery error: {errors[-1]:.4f}")
print(f"orthogonality: max |C C^T - I| = {np.abs(C @ C.T - np.eye(32)).max():.1e}")

# %%
# Exactly sparse codes
# --------------------
# With hard thresholding, small codes are exact zeros; on this noiseless data the
# support found has the size of the true one.
codes = odl.set_params(threshold=0.05).transform(X[:1000])
print(
    f"non-zero codes: {np.mean(codes != 0):.3f} "
    f"(true codes: {np.mean(code[:1000] != 0):.3f})"
)

# %%
# Image patches
# -------------
# 8x8 patches of a photograph (patch means removed) are streamed in the same way;
# the atoms come out as oriented, localised patterns. Keeping the 8 largest codes
# of each patch of another photograph reconstructs it with a small error.


def patches(image, n_patches, seed):
    grey = image.mean(axis=2) / 255.0
    P = extract_patches_2d(grey, (8, 8), max_patches=n_patches, random_state=seed)
    P = P.reshape(n_patches, 64)
    return P - P.mean(axis=1, keepdims=True)


china, flower = load_sample_images().images
X_train, X_test = patches(china, 20_000, 0), patches(flower, 2_000, 1)
patch_odl = OnlineOrthogonalDictionaryLearning(random_state=0)
for _ in range(3):
    for batch in np.array_split(X_train, 80):
        patch_odl.partial_fit(batch)

Z = X_test @ patch_odl.components_.T
np.put_along_axis(Z, np.argsort(-np.abs(Z), axis=1)[:, 8:], 0.0, axis=1)
relative = np.sum((X_test - Z @ patch_odl.components_) ** 2) / np.sum(X_test**2)
print(f"8 codes per patch: relative reconstruction error {relative:.3f}")

fig, axes = plt.subplots(8, 8, figsize=(5, 5))
for atom, ax in zip(patch_odl.components_, axes.ravel()):
    ax.imshow(atom.reshape(8, 8), cmap="gray")
    ax.set_axis_off()
fig.suptitle("orthogonal dictionary learned from streamed patches")
plt.show()
