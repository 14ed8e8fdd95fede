"""Typed YAML settings files (scorecard, playbook) whose errors name the key and the line.

A user who edits a settings file needs to be told where it went wrong: ``scorecard.yaml line
42, risk.signals.3.bins: bins must rise``. pydantic validates; the YAML node tree gives each
key's line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from riskseg.errors import InputError

T = TypeVar("T", bound=BaseModel)


class SettingsError(InputError):
    """A settings file (scorecard, playbook) is invalid; the message names key and line."""


def load_settings(path: str | os.PathLike[str], model: type[T]) -> T:
    """Read ``path`` as YAML and validate it as ``model``.

    Raises
    ------
    SettingsError
        With the file, the line and the dotted key of every problem.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SettingsError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{p}: cannot be read ({exc})") from None
    try:
        raw = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise SettingsError(f"{p}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            msg = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            where = ".".join(str(x) for x in loc) or "(top)"
            problems.append(f"line {_line(node, loc)}, {where}: {msg}")
        raise SettingsError(f"{p}: " + "; ".join(problems)) from None


def line_of(path: str | os.PathLike[str], loc: tuple[Any, ...]) -> int | None:
    """The line of key ``loc`` (``("rules", 3, "when")``) in YAML file ``path``, if readable."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return _line(node, loc)


def _line(node: Any, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node of ``loc`` that exists in the YAML tree."""
    line = int(node.start_mark.line) + 1 if node is not None else 1
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    child = v
                    line = int(k.start_mark.line) + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(node.value)
        ):
            child = node.value[key]
            line = int(child.start_mark.line) + 1
        if child is None:
            break
        node = child
    return line
