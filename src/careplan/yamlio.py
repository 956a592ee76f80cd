"""Safe YAML reading, with errors that name the line and never quote the text.

Two readers:

- ``read_yaml`` for careplan's own content library: YAML's usual types (dates, numbers,
  booleans), duplicate keys refused.
- ``parse_plain_yaml`` for what a nurse writes (profiles, clinic files): every scalar stays the
  text that was typed (``00123`` stays ``"00123"``, ``yes`` stays ``"yes"``, ``3.10`` stays
  ``"3.10"``; the profile's own validation decides what a value means). Anchors and aliases,
  tags, merge keys, keys that are not plain words and deep nesting are refused, so a 400-byte
  file can never expand into gigabytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode

# libyaml's parser when PyYAML was built with it (several times faster), else pure Python.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})
MAX_DEPTH = 20


class YamlInputError(ValueError):
    """A one-line reason, with the line number, why a YAML text was refused."""


def _line(node_or_mark: Any) -> str:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return f"line {mark.line + 1}: " if mark is not None else ""


class _StrictSafeLoader(_BaseLoader):  # type: ignore[misc, valid-type]  # chosen at import
    """SafeLoader that refuses duplicate keys (a second `therapies:` would hide the first)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]  # untyped


class _PlainLoader(yaml.BaseLoader):
    """Pure-Python loader that keeps every scalar as typed text and refuses YAML's traps."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        if isinstance(event, AliasEvent) or (
            isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor is not None
        ):
            raise YamlInputError(f"{_line(event)}anchors and aliases (& and *) are not allowed")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlInputError(f"{_line(event)}the text is nested too deeply")
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and node.tag not in _PLAIN_TAGS:
            raise YamlInputError(
                f"{_line(node)}YAML tags (such as !!binary or !!python) are not allowed; "
                "write plain values"
            )
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlInputError(f"{_line(key_node)}a key must be a plain word")
            if key_node.value == "<<" and key_node.style is None:
                raise YamlInputError(f"{_line(key_node)}merge keys (<<) are not allowed")
            if key_node.value in seen:
                raise YamlInputError(f"{_line(key_node)}a key is given twice")
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=True)


def _describe(error: yaml.YAMLError) -> str:
    """Return a short, one-line description of a YAML error with its line number."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if "could not determine a constructor" in str(error):
        problem = "YAML tags such as '!!python/object' are not allowed; write plain values"
    return f"{_line(mark)}{problem}"


def parse_yaml(text: str) -> Any:
    """Parse careplan's own YAML as typed data; raise ValueError with a one-line reason."""
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as error:
        raise ValueError(f"not valid YAML ({_describe(error)})") from None


def read_yaml(path: Path) -> Any:
    """Read one of careplan's own YAML files as typed data; raise ValueError with a reason."""
    return parse_yaml(path.read_text(encoding="utf-8-sig"))


def parse_plain_yaml(text: str) -> Any:
    """Parse YAML a nurse wrote: scalars stay text; raise YamlInputError with a reason."""
    loader = _PlainLoader(text)
    try:
        return loader.get_single_data()
    except YamlInputError:
        raise
    except yaml.YAMLError as error:
        raise YamlInputError(f"not valid YAML ({_describe(error)})") from None
    finally:
        loader.dispose()


def dump_yaml(data: Any) -> str:
    """Write careplan's own YAML (the bilingual translation files): keys in order, UTF-8."""
    header = "# Made by `careplan translations LANG --update`; fill in or review the texts.\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
