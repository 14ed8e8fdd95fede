"""Scores, probabilities and customer lifetime value, each explained and backtested.

Every model keeps the estimator contract of :mod:`riskseg.models.base` and is saved as JSON
with the ``as_of`` it was trained at, the data fingerprint and its backtest metrics.
"""

from riskseg.models.base import MODEL_CLASSES, Model, ModelMeta, load_model, save_model

__all__ = ["MODEL_CLASSES", "Model", "ModelMeta", "load_model", "save_model"]
