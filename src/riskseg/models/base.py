"""The estimator contract every riskseg model keeps, and how models are saved and loaded.

The contract is scikit-learn's: ``__init__`` stores its parameters and nothing else, what a fit
learns lives in attributes ending in ``_``, ``fit`` returns ``self``, and predicting before
fitting raises :class:`~riskseg.errors.NotFittedError`. ``tests/models/test_contract.py`` runs
one contract test over every class in :data:`MODEL_CLASSES`.

Models are saved as one JSON file (never pickle: a model file is data, not code) holding the
class, the parameters, the learned state and the metadata a reviewer needs to trust it: the
``as_of`` it was trained at, the fingerprint of the data, the riskseg version and the backtest
metrics.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from riskseg.errors import InputError, NotFittedError

#: model class name -> class; filled by :func:`register_model`
MODEL_CLASSES: dict[str, type[Model]] = {}

M = TypeVar("M", bound="Model")


def register_model(cls: type[M]) -> type[M]:
    """Class decorator: the model can be loaded by name and is covered by the contract test."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


class Model:
    """Base of every model: parameters, fitted check and JSON state.

    Subclasses set :attr:`fitted_attributes` (the ``_``-suffixed attributes a fit creates),
    and implement ``fit`` plus :meth:`get_state` / :meth:`set_state` when their learned state
    is not plain JSON.
    """

    #: attributes a fit sets; their presence is what "fitted" means
    fitted_attributes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, as given."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def is_fitted(self) -> bool:
        """Whether every fitted attribute is present."""
        return bool(self.fitted_attributes) and all(
            hasattr(self, a) for a in self.fitted_attributes
        )

    def check_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless the model has been fitted."""
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit() before using it"
            )

    def get_state(self) -> dict[str, Any]:
        """The learned state as JSON-ready values (default: the fitted attributes as they are)."""
        self.check_fitted()
        return {a: _jsonable(getattr(self, a)) for a in self.fitted_attributes}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""
        for name, value in state.items():
            setattr(self, name, value)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class ModelMeta:
    """What a saved model says about itself."""

    as_of: date | None = None
    fingerprint: str = ""
    version: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "fingerprint": self.fingerprint,
            "version": self.version,
            "metrics": _jsonable(self.metrics),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        as_of = data.get("as_of")
        return cls(
            as_of=date.fromisoformat(as_of) if as_of else None,
            fingerprint=str(data.get("fingerprint", "")),
            version=str(data.get("version", "")),
            metrics=dict(data.get("metrics") or {}),
        )


FORMAT = "riskseg-model/1"


def save_model(model: Model, path: str | os.PathLike[str], *, meta: ModelMeta) -> Path:
    """Write ``model`` and ``meta`` to ``path`` as JSON, atomically (a crash leaves the old file)."""
    from riskseg import __version__

    model.check_fitted()
    if not meta.version:
        meta = ModelMeta(meta.as_of, meta.fingerprint, __version__, meta.metrics)
    doc = {
        "format": FORMAT,
        "model": type(model).__name__,
        "params": _jsonable(model.get_params()),
        "state": model.get_state(),
        "meta": meta.to_dict(),
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


#: the modules that define models; importing them fills :data:`MODEL_CLASSES`
MODEL_MODULES: tuple[str, ...] = (
    "riskseg.models.scorecard",
    "riskseg.models.classifier",
    "riskseg.models.clv",
)


def _import_models() -> None:
    import importlib

    for module in MODEL_MODULES:
        importlib.import_module(module)


def load_model(path: str | os.PathLike[str]) -> tuple[Model, ModelMeta]:
    """Read a model written by :func:`save_model`; returns the fitted model and its metadata."""
    source = Path(path)
    try:
        doc = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{source}: no such model file") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{source}: not a riskseg model file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{source}: not a riskseg model file (expected format {FORMAT!r})")
    name = doc.get("model")
    _import_models()
    cls = MODEL_CLASSES.get(str(name))
    if cls is None:
        raise InputError(
            f"{source}: unknown model {name!r}; known: {', '.join(sorted(MODEL_CLASSES))}"
        )
    model = cls(**doc.get("params", {}))
    model.set_state(doc.get("state", {}))
    return model, ModelMeta.from_dict(doc.get("meta") or {})
