"""A profile written as YAML (a file, or standard input): one record.

The file is read with a size limit (a profile is a few lines; ``/dev/zero`` must not fill the
memory) and parsed with the plain loader: every value stays the text the nurse typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from careplan.errors import Problem
from careplan.inputs import Record, Records, read_limited
from careplan.profile import match_key
from careplan.vocab import load_vocabulary
from careplan.yamlio import YamlInputError, parse_plain_yaml

MAX_PROFILE_BYTES = 1 << 20


def read_profile_yaml(path: Path | str) -> Records:
    """Read one YAML profile; problems that stop it being read are file-level problems."""
    name = "<stdin>" if str(path) == "-" else str(path)
    records = Records(name=name, kind="yaml")
    try:
        text = read_limited(path, MAX_PROFILE_BYTES).decode("utf-8-sig")
        data = parse_plain_yaml(text)
    except FileNotFoundError:
        records.problems.append(Problem(name, None, "file not found"))
    except IsADirectoryError:
        records.problems.append(Problem(name, None, "is a folder, not a profile file"))
    except UnicodeDecodeError:
        records.problems.append(Problem(name, None, "is not UTF-8 text; save it as UTF-8"))
    except YamlInputError as error:
        records.problems.append(Problem(name, None, str(error)))
    except OSError as error:
        reason = error.strerror or str(error)
        records.problems.append(Problem(name, None, f"cannot be read ({reason})"))
    else:
        records.reader = lambda: _one(name, data)
    return records


def _one(name: str, data: object) -> Iterator[Record]:
    raw_id = ""
    if isinstance(data, dict):
        vocab = load_vocabulary()
        for key, value in data.items():
            if match_key(str(key), vocab)[0] == "id" and isinstance(value, str):
                raw_id = value.strip()
    yield Record(
        source=name,
        number=None,
        values=data if isinstance(data, dict) else {},
        problems=() if isinstance(data, dict) else (_not_a_mapping(name, data),),
        raw_id=raw_id,
    )


def _not_a_mapping(name: str, data: object) -> Problem:
    kind = "empty" if data in (None, "") else f"a {type(data).__name__}"
    return Problem(
        name,
        None,
        f"a profile must be a mapping of keys to values (key: value), but this is {kind}",
    )
