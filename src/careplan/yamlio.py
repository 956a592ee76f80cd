"""Safe YAML reading: plain data only, duplicate keys refused, errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (several times faster), else pure Python.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictSafeLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader that refuses duplicate keys (a second `therapies:` would hide the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _describe(error: yaml.YAMLError) -> str:
    """Return a short, one-line description of a YAML error with its line number."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if "could not determine a constructor" in str(error):
        problem = "YAML tags such as '!!python/object' are not allowed; write plain values"
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def parse_yaml(text: str) -> Any:
    """Parse YAML text as plain data; raise ValueError with a one-line reason."""
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as error:
        raise ValueError(f"not valid YAML ({_describe(error)})") from None


def read_yaml(path: Path) -> Any:
    """Read a YAML file as plain data; raise ValueError with a one-line reason."""
    return parse_yaml(path.read_text(encoding="utf-8-sig"))
