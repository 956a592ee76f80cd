"""The clinic file (``--clinic clinic.yaml``): phone numbers, thresholds and day counts.

Every key is optional. The emergency number, the fever threshold and the low blood-sugar
reading have safe US defaults (the nurse is told which were used); the care-team numbers have
none, and print as lines to write on with a box on page 1 asking the nurse to fill them in;
other missing values print as labelled lines to write on. These names are also the only
``{placeholders}`` content may use. The logo must be an image inside the clinic file's folder.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from careplan.errors import ClinicError, Problem
from careplan.inputs import read_limited
from careplan.yamlio import YamlInputError, parse_plain_yaml

TEXT_KEYS = (
    "clinic_name",
    "phone",
    "after_hours_phone",
    "emergency_number",
    "nurse_name",
    "dietitian_phone",
    "fever_threshold",
    "glucose_low",
    "glucose_high",
)
DEFAULTS = {
    "emergency_number": "911",
    "fever_threshold": "100.4 °F (38 °C)",
    "glucose_low": "70 mg/dL (3.9 mmol/L)",
}
CARE_TEAM_NUMBERS = ("phone", "after_hours_phone")
PRRT_MEASURES = ("toilet", "shower", "laundry", "close_contact", "children_pregnancy")
PLACEHOLDERS = frozenset({*TEXT_KEYS, *(f"prrt_days_{m}" for m in PRRT_MEASURES)})
ALL_KEYS = (*TEXT_KEYS, "prrt_precaution_days", "logo", "signed_off")
SHA256 = re.compile(r"[0-9a-f]{64}")
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_TEXT = 120
MAX_DAYS = 365
MAX_LOGO_BYTES = 2_000_000
MAX_LOGO_PIXELS = 4_000_000  # decoded, a bigger image costs hundreds of MB in every worker
MAX_CLINIC_BYTES = 1 << 20


@dataclass(frozen=True)
class Clinic:
    """Clinic settings; ``values`` holds the text placeholders and PRRT day counts."""

    values: dict[str, str] = field(default_factory=dict)
    logo: Path | None = None
    source: str | None = None
    signed_off: dict[str, str] = field(default_factory=dict)  # module id -> its file's SHA-256

    def get(self, name: str) -> str | None:
        """Return a placeholder's value: the clinic's, else the default, else None."""
        return self.values.get(name) or DEFAULTS.get(name)

    @property
    def defaults_used(self) -> tuple[str, ...]:
        """Return the names printed with careplan's default rather than the clinic's value."""
        return tuple(name for name in DEFAULTS if name not in self.values)

    @property
    def missing_numbers(self) -> bool:
        """Tell whether a care-team number is missing (the nurse must write it in)."""
        return any(name not in self.values for name in CARE_TEAM_NUMBERS)

    def warnings(self, printed: Collection[str] | None = None) -> list[str]:
        """Return what the nurse should know before handing a handout over.

        ``printed`` names the clinic values a handout printed; without it (a batch, before
        any handout is made) every default the clinic file leaves to careplan is listed.
        """
        where = self.source or "no clinic file (--clinic)"
        out = []
        defaults = [n for n in self.defaults_used if printed is None or n in printed]
        if defaults:
            used = "; ".join(f"{n.replace('_', ' ')} {DEFAULTS[n]}" for n in defaults)
            verb = "uses" if printed is not None else "may use"
            out.append(f"{where}: the handout {verb} careplan's defaults for {used}")
        if self.missing_numbers:
            out.append(
                f"{where}: no care-team phone numbers; write them in the box on page 1 "
                "before giving the handout"
            )
        blanks = sorted(
            n
            for n in (printed or ())
            if self.get(n) is None
            and n not in CARE_TEAM_NUMBERS
            and n != "clinic_name"
            and not n.startswith("prrt_days")  # those read "the number of days your team tells you"
        )
        if blanks:
            out.append(
                f"{where}: printed as lines to write on: "
                + ", ".join(n.replace("_", " ") for n in blanks)
            )
        return out


def _days(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        return None
    return days if 0 < days <= MAX_DAYS else None


def parse_clinic(data: Any, path: Path) -> Clinic:
    """Validate clinic data read from ``path``; raise ClinicError listing every problem."""
    source = str(path)
    problems: list[Problem] = []
    if data in (None, ""):
        data = {}
    if not isinstance(data, dict):
        raise ClinicError([Problem(source, None, "must be a mapping of keys to values")])
    values: dict[str, str] = {}
    signed_off: dict[str, str] = {}
    logo = None
    for key, value in data.items():
        key = str(key)
        if key not in ALL_KEYS:
            close = difflib.get_close_matches(key, ALL_KEYS, n=1, cutoff=0.7)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(
                Problem(source, key, f"unknown key.{hint} Allowed keys: {', '.join(ALL_KEYS)}")
            )
        elif value is None or value == "":
            continue
        elif key in TEXT_KEYS and not isinstance(value, str):
            problems.append(Problem(source, key, "expected text, not a list or mapping"))
        elif key in TEXT_KEYS:
            text = " ".join(value.split())
            if len(text) > MAX_TEXT:
                problems.append(
                    Problem(source, key, f"is too long (at most {MAX_TEXT} characters)")
                )
            values[key] = text
        elif key == "prrt_precaution_days":
            problems.extend(_prrt_days(value, values, source))
        elif key == "signed_off":
            problems.extend(_signed_off(value, signed_off, source))
        else:
            logo, problem = _logo(value, path)
            if problem:
                problems.append(Problem(source, "logo", problem))
    if problems:
        raise ClinicError(problems)
    return Clinic(values=values, logo=logo, source=source, signed_off=signed_off)


def _signed_off(value: Any, signed_off: dict[str, str], source: str) -> list[Problem]:
    """Read ``signed_off: {module id: sha256}`` (the hashes ``careplan modules --json`` shows)."""
    if not isinstance(value, dict):
        return [Problem(source, "signed_off", "needs a mapping of module ids to their sha256")]
    problems = []
    for module_id, digest in value.items():
        if not isinstance(digest, str) or not SHA256.fullmatch(digest.strip()):
            problems.append(
                Problem(
                    source,
                    f"signed_off.{module_id}",
                    "needs the module's 64-character sha256, as 'careplan modules --json' shows it",
                )
            )
        else:
            signed_off[str(module_id)] = digest.strip()
    return problems


def _prrt_days(value: Any, values: dict[str, str], source: str) -> list[Problem]:
    allowed = f"a whole number of days from 1 to {MAX_DAYS}"
    if isinstance(value, dict):
        problems = []
        for measure, days in value.items():
            if measure not in PRRT_MEASURES:
                problems.append(
                    Problem(
                        source,
                        f"prrt_precaution_days.{measure}",
                        f"unknown measure. Allowed: {', '.join(PRRT_MEASURES)}",
                    )
                )
            elif _days(days) is None:
                problems.append(
                    Problem(source, f"prrt_precaution_days.{measure}", f"{days!r} is not {allowed}")
                )
            else:
                values[f"prrt_days_{measure}"] = str(_days(days))
        return problems
    days = _days(value)
    if days is None:
        return [
            Problem(
                source,
                "prrt_precaution_days",
                f"{value!r} is not {allowed}, or a mapping of {', '.join(PRRT_MEASURES)} to days",
            )
        ]
    for measure in PRRT_MEASURES:
        values[f"prrt_days_{measure}"] = str(days)
    return []


def _logo(value: Any, clinic_path: Path) -> tuple[Path | None, str | None]:
    """Resolve the logo inside the clinic file's folder and check it is a PNG or JPEG."""
    folder = clinic_path.resolve().parent
    candidate = Path(str(value))
    if candidate.is_absolute() or "\\" in str(value):
        return None, "must be a file name relative to the clinic file's folder"
    resolved = (folder / candidate).resolve()
    if not resolved.is_relative_to(folder):
        return None, "must be inside the clinic file's own folder"
    if not resolved.is_file():
        return None, f"file not found: {candidate}"
    if resolved.stat().st_size > MAX_LOGO_BYTES:
        return None, f"is larger than {MAX_LOGO_BYTES // 1_000_000} MB"
    data = resolved.read_bytes()
    if not any(data.startswith(magic) for magic in LOGO_TYPES):
        return None, "must be a PNG or JPEG image"
    size = image_size(data)
    if size is None:
        return None, "is a damaged PNG or JPEG image"
    if size[0] * size[1] > MAX_LOGO_PIXELS:
        return None, (
            f"is {size[0]} x {size[1]} pixels; use a smaller image "
            f"(at most {MAX_LOGO_PIXELS // 1_000_000} megapixels)"
        )
    return resolved, None


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) from a PNG or JPEG header, or None when it cannot be read."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    index = 2  # JPEG: walk the segments to the first start-of-frame marker
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        index += 2 + length
    return None


def load_clinic(path: str | Path | None) -> Clinic:
    """Read a clinic file; None gives an empty clinic (blank lines in the handout)."""
    if path is None:
        return Clinic()
    path = Path(path)
    try:
        data = parse_plain_yaml(read_limited(path, MAX_CLINIC_BYTES).decode("utf-8-sig"))
    except FileNotFoundError:
        raise ClinicError([Problem(str(path), None, "file not found")]) from None
    except UnicodeDecodeError:
        raise ClinicError([Problem(str(path), None, "is not UTF-8 text")]) from None
    except YamlInputError as error:
        raise ClinicError([Problem(str(path), None, str(error))]) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ClinicError([Problem(str(path), None, f"cannot be read ({reason})")]) from None
    return parse_clinic(data, path)
