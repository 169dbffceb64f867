"""Linear models: Kronecker-structured SBL, sketched regression, DPP weighted least squares."""

__all__ = []
