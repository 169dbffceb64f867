"""Linear models: Kronecker SBL, sketched regression, DPP weighted least squares."""

__all__ = []
