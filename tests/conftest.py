import os

# scikit-learn runs its array-API checks only when scipy's support is enabled,
# which must happen before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
