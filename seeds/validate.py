"""Read and validate every seed file before anything is written.

Every problem is collected (not just the first) and names the file, the entry and the
field, so a curator can fix a whole batch in one pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from db.queries import text_problem
from seeds.spec import RELEASE, SECTIONS, SOURCE_FIELD_KINDS, SOURCE_IDENTIFIERS, F

MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.field}: {self.message}"


class SeedError(Exception):
    """The seed files are invalid; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the seed files:\n{lines}")


@dataclass(frozen=True)
class PartialDate:
    """A curated date that may be given to the year or month only."""

    value: dt.date
    precision: str  # year | month | day


@dataclass
class Entry:
    """One validated entry and where it came from."""

    file: str
    label: str
    data: dict[str, Any]


@dataclass
class Dataset:
    version: str
    checksum: str
    file_count: int
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    # Each file's bytes as read and checksummed, by its path (`seeds/her2/agents.yaml`): a
    # release keeps them (seeds/history.py).
    files: dict[str, bytes] = field(default_factory=dict)

    def of(self, kind: str) -> list[Entry]:
        return self.entries.get(kind, [])


MAX_NESTING = 40

# libyaml when available: an order of magnitude faster than the pure-Python parser.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that refuses duplicate mapping keys (PyYAML would keep the last)."""


def _refuse_hostile_structure(text: str) -> str | None:
    """Scan the event stream for what a curator never needs: aliases (the `&a`/`*a`
    expansion behind "billion laughs" bombs) and deep nesting (which exhausts the stack)."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            return "YAML aliases (*name) are not allowed in seed files"
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_NESTING:
                return f"nesting deeper than {MAX_NESTING} levels"
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# (field path, message) pairs found while checking one entry's fields.
FieldProblems = list[tuple[str, str]]
# (ok, normalised value)
Checked = tuple[bool, Any]


def _bad(problems: FieldProblems, path: str, message: str) -> Checked:
    problems.append((path, message))
    return False, None


# PostgreSQL's `integer`.
MAX_INTEGER = 2**31 - 1


def _interval(text: str) -> tuple[bool, Any, Any, bool]:
    """'(0, 20]' -> (False, 0, 20, True): closed below?, low, high, closed above? (None: open end)."""
    low_text, high_text = (part.strip() for part in text[1:-1].split(","))

    def bound(part: str) -> Any:
        if not part:
            return None
        return dt.date.fromisoformat(part) if "-" in part[1:] else float(part)

    return text[0] == "[", bound(low_text), bound(high_text), text[-1] == "]"


def _outside(value: Any, spec: F) -> str | None:
    """Why a number or date is outside the field's interval (the database's CHECK), or None."""
    if not spec.interval or value is None:
        return None
    closed_low, low, high, closed_high = _interval(spec.interval)
    below = low is not None and (value < low if closed_low else value <= low)
    above = high is not None and (value > high if closed_high else value >= high)
    if below or above:
        return f"must be in {spec.interval}; got {value}"
    return None


def _text_refusal(text: str) -> str | None:
    """What PostgreSQL cannot store in text (NUL, lone surrogates), or None."""
    problem = text_problem(text)
    return None if problem is None else problem.replace("Text arguments cannot", "text cannot")


def _check_text(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, str) or not value.strip():
        return _bad(problems, path, f"expected a non-empty string, got {_show(value)}")
    if (refusal := _text_refusal(value)) is not None:
        return _bad(problems, path, refusal)
    return True, value.strip()


def _check_int(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if isinstance(value, bool) or not isinstance(value, int):
        return _bad(problems, path, f"expected an integer, got {_show(value)}")
    if value < 0:
        return _bad(problems, path, f"expected a non-negative integer, got {value}")
    if value > MAX_INTEGER:
        return _bad(problems, path, f"expected an integer of at most {MAX_INTEGER}, got {value}")
    if (outside := _outside(value, spec)) is not None:
        return _bad(problems, path, outside)
    return True, value


def _check_number(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _bad(problems, path, f"expected a number, got {_show(value)}")
    if not math.isfinite(value):
        return _bad(problems, path, f"expected a finite number, got {value}")
    if (outside := _outside(value, spec)) is not None:
        return _bad(problems, path, outside)
    return True, value


def _check_p_value_field(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    """'P<0.001' -> '<0.001'; refuses anything that is not a p-value."""
    normalised = normalise_p_value(str(value)) if isinstance(value, (str, int, float)) else None
    if normalised is None:
        return _bad(problems, path, f"{value!r} is not a p-value such as 0.003 or <0.001")
    return True, normalised


def _check_bool(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, bool):
        return _bad(problems, path, f"expected true or false, got {_show(value)}")
    return True, value


def _check_enum(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if value not in spec.choices:
        return _bad(problems, path, f"expected one of {', '.join(spec.choices)}; got {_show(value)}")
    return True, value


def _check_pattern(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return _bad(problems, path, f"expected a string, got {_show(value)}")
    text = str(value).strip()
    if not re.match(spec.pattern, text):
        return _bad(problems, path, f"{text!r} does not match the expected format {spec.pattern}")
    if (refusal := _text_refusal(text)) is not None:
        return _bad(problems, path, refusal)
    return True, text


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _check_date(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    date = value if _is_date(value) else None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            date = dt.date.fromisoformat(value)
    if date is None:
        return _bad(problems, path, f"expected a date YYYY-MM-DD, got {_show(value)}")
    if (outside := _outside(date, spec)) is not None:
        return _bad(problems, path, outside)
    return True, date


def _check_partial_date(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if _is_date(value):
        if (outside := _outside(value, spec)) is not None:
            return _bad(problems, path, outside)
        return True, PartialDate(value, "day")
    text = str(value) if isinstance(value, (str, int)) else ""
    match = _PARTIAL_DATE.match(text)
    if not match:
        return _bad(problems, path, f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {_show(value)}")
    year, month, day = match.groups()
    try:
        date = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return _bad(problems, path, f"{text!r} is not a real date")
    precision = "day" if day else "month" if month else "year"
    if (outside := _outside(date, spec)) is not None:
        return _bad(problems, path, outside)
    return True, PartialDate(date, precision)


def _check_str_list(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, list):
        return _bad(problems, path, f"expected a list of strings, got {_show(value)}")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, (str, int)) or isinstance(item, bool) or not str(item).strip():
            problems.append((f"{path}[{index}]", f"expected a string, got {_show(item)}"))
        elif (refusal := _text_refusal(str(item))) is not None:
            problems.append((f"{path}[{index}]", refusal))
        else:
            items.append(str(item).strip())
    return True, items


def _check_ref(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, str) or not value.strip():
        return _bad(problems, path, f"expected a {spec.ref} key, got {_show(value)}")
    return True, value.strip()


def _check_ref_list(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return _bad(problems, path, f"expected a list of {spec.ref} keys, got {_show(value)}")
    if len(set(value)) != len(value):
        return _bad(problems, path, "lists the same key twice")
    return True, list(value)


def _is_bound(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _check_ci(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, list) or len(value) != 2 or not all(_is_bound(v) for v in value):
        return _bad(problems, path, f"expected [lower, upper] (numbers or null), got {_show(value)}")
    lower, upper = value
    if lower is not None and upper is not None and lower > upper:
        return _bad(problems, path, f"lower bound {lower} is above upper bound {upper}")
    if (outside := _outside(lower, spec) or _outside(upper, spec)) is not None:
        return _bad(problems, path, outside)
    return True, (lower, upper)


def _check_object(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, dict):
        return _bad(problems, path, f"expected a mapping, got {_show(value)}")
    return True, _check_fields(value, spec.spec, path, problems)


def _check_object_list(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    if not isinstance(value, list):
        return _bad(problems, path, f"expected a list, got {_show(value)}")
    out = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            problems.append((item_path, f"expected a mapping, got {_show(item)}"))
            continue
        out.append(_check_fields(item, spec.spec, item_path, problems))
    return True, out


# Field kind (seeds/spec.py) -> its check.
CHECKS: dict[str, Callable[[Any, F, str, FieldProblems], Checked]] = {
    "str": _check_text,
    "text": _check_text,
    "int": _check_int,
    "number": _check_number,
    "bool": _check_bool,
    "enum": _check_enum,
    "pattern": _check_pattern,
    "date": _check_date,
    "partial_date": _check_partial_date,
    "str_list": _check_str_list,
    "ref": _check_ref,
    "ref_list": _check_ref_list,
    "ci": _check_ci,
    "p_value": _check_p_value_field,
    "object": _check_object,
    "object_list": _check_object_list,
}


def _check_value(value: Any, spec: F, path: str, problems: FieldProblems) -> Checked:
    """Return (ok, normalised value); append (field path, message) on failure."""
    check = CHECKS.get(spec.kind)
    if check is None:
        raise AssertionError(f"unknown field kind {spec.kind}")
    return check(value, spec, path, problems)


def _check_fields(
    data: dict[str, Any], spec: dict[str, F], prefix: str, problems: FieldProblems
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in data:
        if key not in spec:
            name = f"{prefix}.{key}" if prefix else str(key)
            problems.append((name, f"unknown field (expected one of: {', '.join(spec)})"))
    for name, field_spec in spec.items():
        path = f"{prefix}.{name}" if prefix else name
        value = data.get(name)
        if value is None:
            if field_spec.required:
                problems.append((path, "is required"))
            continue
        ok, normalised = _check_value(value, field_spec, path, problems)
        if ok:
            out[name] = normalised
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def seed_files(seeds_dir: Path) -> list[Path]:
    return sorted(p for p in seeds_dir.rglob("*.yaml") if p.is_file())


def _decode(raw: bytes) -> tuple[str, str | None]:
    """(text, None), or ("", what makes the file unreadable before parsing)."""
    if len(raw) > MAX_FILE_BYTES:
        return "", f"file is larger than {MAX_FILE_BYTES} bytes"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return "", "starts with a byte-order mark; save it as UTF-8 without BOM"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return "", f"not valid UTF-8 ({exc.reason} at byte {exc.start})"


def _parse(text: str) -> tuple[Any, str | None]:
    """(document, None), or (None, why it cannot be read)."""
    try:
        refusal = _refuse_hostile_structure(text)
        if refusal is not None:
            return None, refusal
        return yaml.load(text, Loader=_UniqueKeyLoader), None
    except yaml.YAMLError as exc:
        return None, f"YAML syntax error: {exc}".replace("\n", " ")
    except RecursionError:
        return None, "nesting too deep to read"


@dataclass
class _DatasetReader:
    """Collects the validated entries of every file, and every problem found on the way."""

    problems: list[Problem] = field(default_factory=list)
    entries: dict[str, list[Entry]] = field(
        default_factory=lambda: {kind: [] for kind, _, _ in SECTIONS.values()}
    )
    version: str | None = None
    sources_by_slug: dict[str, Entry] = field(default_factory=dict)

    def read_file(self, rel: str, raw: bytes) -> None:
        text, problem = _decode(raw)
        document, problem = _parse(text) if problem is None else (None, problem)
        if problem is not None:
            self.problems.append(Problem(rel, "-", "-", problem))
        elif document is None:
            return
        elif not isinstance(document, dict):
            self.problems.append(Problem(rel, "-", "-", "top level must be a mapping of section names"))
        else:
            for section, items in document.items():
                self.read_section(rel, section, items)

    def read_section(self, rel: str, section: Any, items: Any) -> None:
        if section == "release":
            self.read_release(rel, items)
        elif section not in SECTIONS:
            expected = f"unknown section (expected one of: release, {', '.join(SECTIONS)})"
            self.problems.append(Problem(rel, str(section), "-", expected))
        elif not isinstance(items, list):
            self.problems.append(Problem(rel, section, "-", "expected a list of entries"))
        else:
            for index, item in enumerate(items):
                self.read_entry(rel, section, index, item)

    def read_release(self, rel: str, items: Any) -> None:
        if not isinstance(items, dict):
            self.problems.append(Problem(rel, "release", "-", "expected a mapping"))
            return
        release_problems: FieldProblems = []
        release = _check_fields(items, RELEASE, "", release_problems)
        self.problems.extend(Problem(rel, "release", f, m) for f, m in release_problems)
        if self.version is not None:
            self.problems.append(Problem(rel, "release", "version", "release is defined twice"))
        self.version = release.get("version", self.version)

    def read_entry(self, rel: str, section: str, index: int, item: Any) -> None:
        kind, key_field, spec = SECTIONS[section]
        label = f"{section}[{index}]"
        if isinstance(item, dict) and isinstance(item.get(key_field), str):
            label = f"{section}[{index}] ({item[key_field]})"
        if not isinstance(item, dict):
            self.problems.append(Problem(rel, label, "-", "expected a mapping"))
            return
        field_problems: FieldProblems = []
        data = _check_fields(item, spec, "", field_problems)
        self.problems.extend(Problem(rel, label, f, m) for f, m in field_problems)
        if field_problems:
            return
        entry = Entry(rel, label, data)
        if kind == "source" and not self.first_definition(entry):
            return
        self.entries[kind].append(entry)

    def first_definition(self, entry: Entry) -> bool:
        """A source may be defined in several files when the definitions agree: a later one
        may add fields the first leaves out, but one that gives a field differently is
        refused, naming both entries and the fields."""
        data = entry.data
        previous = self.sources_by_slug.get(data["slug"])
        if previous is None:
            self.sources_by_slug[data["slug"]] = entry
            return True
        conflicts = [key for key in data if key in previous.data and previous.data[key] != data[key]]
        if conflicts:
            message = (
                f"source {data['slug']!r} is also defined in {previous.file} ({previous.label}) with a different "
                + "; ".join(f"{key} ({_show(previous.data[key])} there)" for key in conflicts)
                + ": define it once, or make the definitions agree"
            )
            self.problems.append(Problem(entry.file, entry.label, ", ".join(conflicts), message))
        for key, value in data.items():
            previous.data.setdefault(key, value)
        return False


def load_dataset(seeds_dir: Path) -> Dataset:
    """Parse and validate all seed files under `seeds_dir`; raise SeedError listing every problem."""
    files = seed_files(seeds_dir)
    if not files:
        raise SeedError([Problem(str(seeds_dir), "-", "-", "no seed files (*.yaml) found")])
    digest = hashlib.sha256()
    reader = _DatasetReader()
    contents: dict[str, bytes] = {}
    for path in files:
        rel = path.relative_to(seeds_dir.parent).as_posix()
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            # Refused before it is read: a huge file must not be held in memory.
            reader.problems.append(
                Problem(rel, "-", "-", f"file is larger than {MAX_FILE_BYTES} bytes ({size})")
            )
            continue
        raw = contents[rel] = path.read_bytes()
        digest.update(rel.encode() + b"\0" + raw + b"\0")
        reader.read_file(rel, raw)
    problems = reader.problems
    if reader.version is None:
        problems.append(Problem("seeds/release.yaml", "release", "version", "no data release version found"))
    problems.extend(check_sources(reader.entries["source"]))
    problems.extend(_check_references(reader.entries))
    if problems:
        raise SeedError(problems)
    assert reader.version is not None
    return Dataset(
        version=reader.version,
        checksum=digest.hexdigest(),
        file_count=len(files),
        entries=reader.entries,
        files=contents,
    )


def source_identity(key: str, value: Any) -> str:
    """An identifier as compared between sources: DOIs ignore case, URLs a trailing slash."""
    text = str(value)
    if key == "doi":
        return text.lower()
    if key == "retrieved_from":
        return text.rstrip("/")
    return text


def check_sources(sources: list[Entry]) -> list[Problem]:
    """Kind-specific fields, and one source per DOI, PMID, NCT ID or URL."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Entry] = {}
    for entry in sources:
        data = entry.data
        for name, kinds in SOURCE_FIELD_KINDS.items():
            if name in data and data["kind"] not in kinds:
                message = (
                    f"only a source of kind {' or '.join(kinds)} has a {name} (this one is {data['kind']})"
                )
                problems.append(Problem(entry.file, entry.label, name, message))
        if not any(name in data for name in SOURCE_IDENTIFIERS):
            message = f"give at least one of {', '.join(SOURCE_IDENTIFIERS)}"
            problems.append(Problem(entry.file, entry.label, "retrieved_from", message))
        date = data.get("date")
        if date is not None and "year" in data and date.value.year != data["year"]:
            problems.append(Problem(entry.file, entry.label, "year", f"{data['year']} differs from date"))
        for name in SOURCE_IDENTIFIERS:
            if name not in data:
                continue
            identity = (name, source_identity(name, data[name]))
            other = seen.setdefault(identity, entry)
            if other is not entry:
                message = (
                    f"{data[name]} is also the {name} of source {other.data['slug']!r} ({other.file}, "
                    f"{other.label}): one document is one source; cite that slug instead"
                )
                problems.append(Problem(entry.file, entry.label, name, message))
    return problems


class _References:
    """Checks that references name existing entries; collects every problem in order."""

    def __init__(self, keys: dict[str, set[str]], problems: list[Problem]) -> None:
        self.keys = keys
        self.problems = problems

    def problem(self, entry: Entry, path: str, message: str) -> None:
        self.problems.append(Problem(entry.file, entry.label, path, message))

    def check(self, entry: Entry, path: str, kind: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item not in self.keys[kind]:
                self.problem(entry, path, f"unknown {kind} {item!r}")

    def check_optional(self, entry: Entry, data: dict[str, Any], path: str, name: str, kind: str) -> None:
        if name in data:
            self.check(entry, path + name, kind, data[name])

    def check_sources(self, entry: Entry, path: str, data: dict[str, Any]) -> None:
        self.check_optional(entry, data, path, "sources", "source")


def _unique_keys(entries: dict[str, list[Entry]], problems: list[Problem]) -> dict[str, set[str]]:
    """Each kind's keys; a key defined twice is a problem."""
    keys: dict[str, set[str]] = {}
    for kind, key_field, _ in SECTIONS.values():
        seen: dict[str, Entry] = {}
        for entry in entries[kind]:
            key = entry.data[key_field]
            if key in seen:
                message = f"duplicate {kind} key {key!r} (first defined in {seen[key].file})"
                problems.append(Problem(entry.file, entry.label, key_field, message))
            seen[key] = entry
        keys[kind] = set(seen)
    return keys


def _check_agent(refs: _References, entry: Entry) -> None:
    data = entry.data
    refs.check_sources(entry, "", data)
    refs.check_optional(entry, data, "", "targets", "target")
    if "biosimilar_of" in data:
        refs.check(entry, "biosimilar_of", "agent", data["biosimilar_of"])
        if data["biosimilar_of"] == data["slug"]:
            refs.problem(entry, "biosimilar_of", "an agent cannot be its own biosimilar")
    refs.check_optional(entry, data, "", "components", "agent")
    if data["slug"] in data.get("components", []):
        refs.problem(entry, "components", "an agent cannot be its own component")
    if "adc" in data and data["modality"] != "antibody_drug_conjugate":
        refs.problem(entry, "adc", "only an antibody_drug_conjugate has ADC details")
    if "cell_therapy" in data and data["modality"] != "car_t":
        refs.problem(entry, "cell_therapy", "only a car_t agent has a cell-therapy construct")
    if _has_duplicates([r["region"] for r in data.get("regional_status", [])]):
        refs.problem(entry, "regional_status", "a region is listed twice")


def _check_indication(refs: _References, entry: Entry) -> None:
    refs.check_sources(entry, "", entry.data)
    refs.check_optional(entry, entry.data, "", "parent", "indication")
    refs.check_optional(entry, entry.data, "", "biomarkers", "biomarker")
    biomarker = entry.data.get("biomarker")
    # As the indications table's CHECK: a biomarker kind comes with its status (kind none excepted).
    if isinstance(biomarker, dict) and biomarker.get("kind") != "none" and "status" not in biomarker:
        refs.problem(entry, "biomarker.status", "required with a biomarker kind other than none")


def _check_approval(refs: _References, entry: Entry) -> None:
    data = entry.data
    refs.check_sources(entry, "", data)
    refs.check(entry, "agent", "agent", data["agent"])
    refs.check(entry, "indication", "indication", data["indication"])
    refs.check_optional(entry, data, "", "pivotal_trials", "trial")
    if data.get("pivotal_trials") and "no_pivotal_trial_reason" in data:
        refs.problem(entry, "no_pivotal_trial_reason", "give it only when no pivotal trial is linked")
    refs.check_optional(entry, data, "", "biomarkers", "biomarker")
    refs.check_optional(entry, data, "", "companion_diagnostics", "companion_diagnostic")


def _check_biomarker(refs: _References, entry: Entry) -> None:
    refs.check_sources(entry, "", entry.data)
    refs.check_optional(entry, entry.data, "", "target", "target")
    refs.check_optional(entry, entry.data, "", "parent", "biomarker")


def _check_companion_diagnostic(refs: _References, entry: Entry) -> None:
    refs.check_sources(entry, "", entry.data)
    for index, approval in enumerate(entry.data.get("approvals", [])):
        path = f"approvals[{index}]."
        refs.check(entry, path + "biomarker", "biomarker", approval["biomarker"])
        refs.check_optional(entry, approval, path, "agents", "agent")
        refs.check_sources(entry, path, approval)


def _check_mechanism(refs: _References, entry: Entry) -> None:
    data = entry.data
    refs.check_sources(entry, "", data)
    agents_seen: set[str] = set()
    for index, effect in enumerate(data.get("affected_agents", [])):
        path = f"affected_agents[{index}]."
        refs.check(entry, path + "agent", "agent", effect["agent"])
        refs.check_sources(entry, path, effect)
        if effect["agent"] in agents_seen:
            refs.problem(entry, path + "agent", "agent listed twice")
        agents_seen.add(effect["agent"])
    for index, way in enumerate(data.get("overcoming", [])):
        path = f"overcoming[{index}]."
        if ("agent" in way) == ("strategy" in way):
            refs.problem(entry, path + "agent", "give exactly one of agent or strategy")
        refs.check_optional(entry, way, path, "agent", "agent")
        refs.check_sources(entry, path, way)
    if _has_duplicates([b["name"] for b in data.get("biomarkers", [])]):
        refs.problem(entry, "biomarkers", "a biomarker is listed twice")


def _check_safety_warning(refs: _References, entry: Entry) -> None:
    refs.check_sources(entry, "", entry.data)
    refs.check(entry, "agent", "agent", entry.data["agent"])


def _has_duplicates(values: list[Any]) -> bool:
    return len(values) != len(set(values))


def _check_unique_nct_ids(trials: list[Entry]) -> list[Problem]:
    problems = []
    nct_seen: dict[str, Entry] = {}
    for entry in trials:
        nct = entry.data.get("nct_id")
        if not nct:
            continue
        if nct in nct_seen:
            first = nct_seen[nct]
            message = f"NCT ID {nct} is also used by {first.label} in {first.file}"
            problems.append(Problem(entry.file, entry.label, "nct_id", message))
        nct_seen[nct] = entry
    return problems


# Kinds whose names must differ (case-insensitively), and the field holding the name.
UNIQUE_NAMES = (
    ("agent", "name"),
    ("indication", "name"),
    ("resistance_mechanism", "name"),
    ("biomarker", "name"),
    ("companion_diagnostic", "name"),
)


def _check_unique_names(entries: dict[str, list[Entry]]) -> list[Problem]:
    problems = []
    for kind, field_name in UNIQUE_NAMES:
        by_name: dict[str, Entry] = {}
        for entry in entries[kind]:
            name = entry.data[field_name].lower()
            if name in by_name:
                message = f"name {entry.data[field_name]!r} is also used by {by_name[name].label}"
                problems.append(Problem(entry.file, entry.label, field_name, message))
            by_name[name] = entry
    return problems


def _check_references(entries: dict[str, list[Entry]]) -> list[Problem]:
    problems: list[Problem] = []
    refs = _References(_unique_keys(entries, problems), problems)
    for entry in entries["target"]:
        refs.check_sources(entry, "", entry.data)
    for entry in entries["agent"]:
        _check_agent(refs, entry)
    for entry in entries["biomarker"]:
        _check_biomarker(refs, entry)
    problems.extend(_check_parent_cycles(entries["biomarker"]))
    for entry in entries["companion_diagnostic"]:
        _check_companion_diagnostic(refs, entry)
    for entry in entries["indication"]:
        _check_indication(refs, entry)
    problems.extend(_check_parent_cycles(entries["indication"]))
    for entry in entries["approval"]:
        _check_approval(refs, entry)
    for entry in entries["trial"]:
        # Reference problems go straight to the list; the trial's own follow them.
        problems.extend(_check_trial(refs, entry))
    for entry in entries["resistance_mechanism"]:
        _check_mechanism(refs, entry)
    for entry in entries["safety_warning"]:
        _check_safety_warning(refs, entry)
    problems.extend(_check_unique_nct_ids(entries["trial"]))
    problems.extend(_check_unique_names(entries))
    return problems


def _check_parent_cycles(entries: list[Entry]) -> list[Problem]:
    parents = {e.data["slug"]: e.data.get("parent") for e in entries}
    problems = []
    for entry in entries:
        seen = {entry.data["slug"]}
        current = parents.get(entry.data["slug"])
        while current is not None:
            if current in seen:
                problems.append(Problem(entry.file, entry.label, "parent", "the parent chain loops back"))
                break
            seen.add(current)
            current = parents.get(current)
    return problems


def _check_trial(refs: _References, entry: Entry) -> list[Problem]:
    problems: list[Problem] = []
    data = entry.data
    refs.check_sources(entry, "", data)
    refs.check_optional(entry, data, "", "indications", "indication")
    refs.check_optional(entry, data, "", "eligibility_biomarkers", "biomarker")
    start = data.get("start_date")
    end = data.get("primary_completion_date")
    if start and end and end.value < start.value:
        problems.append(Problem(entry.file, entry.label, "primary_completion_date", "is before start_date"))
    arm_slugs = _check_arms(refs, entry, problems)
    outcome_slugs: set[str] = set()
    for index, outcome in enumerate(data.get("outcomes", [])):
        path = f"outcomes[{index}]"
        refs.check_sources(entry, f"{path}.", outcome)
        outcome_slugs.add(_outcome_key(entry, path, outcome, outcome_slugs, problems))
        problems.extend(_check_hazard_ratio(entry, path, outcome))
        problems.extend(_check_ci_level(entry, path, outcome))
        problems.extend(_check_p_value(entry, path, outcome))
        problems.extend(_check_outcome_arms(entry, path, outcome, arm_slugs))
    return problems


def _check_arms(refs: _References, entry: Entry, problems: list[Problem]) -> set[str]:
    """The trial's arm slugs; duplicate arms and bad regimens are problems."""
    arm_slugs: set[str] = set()
    for index, arm in enumerate(entry.data.get("arms", [])):
        path = f"arms[{index}]"
        if arm["slug"] in arm_slugs:
            problems.append(
                Problem(entry.file, entry.label, f"{path}.slug", f"duplicate arm {arm['slug']!r}")
            )
        arm_slugs.add(arm["slug"])
        for r_index, component in enumerate(arm.get("regimen", [])):
            r_path = f"{path}.regimen[{r_index}]"
            if ("agent" in component) == ("drug" in component):
                problems.append(Problem(entry.file, entry.label, r_path, "give exactly one of agent or drug"))
            elif "agent" in component:
                refs.check(entry, f"{r_path}.agent", "agent", component["agent"])
    return arm_slugs


def _outcome_key(
    entry: Entry, path: str, outcome: dict[str, Any], taken: set[str], problems: list[Problem]
) -> str:
    """The outcome's slug: as given (unique within the trial), or derived and made unique."""
    if "slug" in outcome:
        slug: str = outcome["slug"]
        if slug in taken:
            message = f"two outcomes share the key {slug!r}; give one a distinct `slug`"
            problems.append(Problem(entry.file, entry.label, f"{path}.slug", message))
        return slug
    # Derived keys are made unique in file order: endpoint-analysis[-assessment][-cutoff][-n].
    base = slug = outcome_slug(outcome)
    counter = 2
    while slug in taken:
        slug = f"{base}-{counter}"
        counter += 1
    outcome["slug"] = slug
    return slug


def _check_hazard_ratio(entry: Entry, path: str, outcome: dict[str, Any]) -> list[Problem]:
    problems = []

    def problem(field_name: str, message: str) -> None:
        problems.append(Problem(entry.file, entry.label, f"{path}.{field_name}", message))

    hr = outcome.get("hazard_ratio")
    ci = outcome.get("hazard_ratio_ci")
    if hr is not None and hr <= 0:
        problem("hazard_ratio", "must be greater than 0")
    if ci is None:
        return problems
    if hr is None:
        problem("hazard_ratio_ci", "given without hazard_ratio")
    elif None in ci:
        problem("hazard_ratio_ci", "needs both bounds")
    elif not ci[0] <= hr <= ci[1]:
        problem("hazard_ratio", f"{hr} is outside its confidence interval [{ci[0]}, {ci[1]}]")
    return problems


def _check_ci_level(entry: Entry, path: str, outcome: dict[str, Any]) -> list[Problem]:
    level = outcome.get("ci_level")
    if level is None or 50 <= level < 100:
        return []
    message = f"a confidence level is a percentage such as 95 or 97.5, got {level}"
    return [Problem(entry.file, entry.label, f"{path}.ci_level", message)]


def _check_p_value(entry: Entry, path: str, outcome: dict[str, Any]) -> list[Problem]:
    """Normalises the outcome's p-value in place ('P<0.001' -> '<0.001')."""
    if "p_value" not in outcome:
        return []
    normalised = normalise_p_value(outcome["p_value"])
    if normalised is None:
        message = f"{outcome['p_value']!r} is not a p-value such as 0.003 or <0.001"
        return [Problem(entry.file, entry.label, f"{path}.p_value", message)]
    outcome["p_value"] = normalised
    return []


def _check_outcome_arms(
    entry: Entry, path: str, outcome: dict[str, Any], arm_slugs: set[str]
) -> list[Problem]:
    problems = []
    arms_seen: set[str] = set()
    for index, result in enumerate(outcome.get("arms", [])):
        a_path = f"{path}.arms[{index}]"
        if result["arm"] not in arm_slugs:
            message = f"unknown arm {result['arm']!r} of this trial"
            problems.append(Problem(entry.file, entry.label, f"{a_path}.arm", message))
        if result["arm"] in arms_seen:
            problems.append(
                Problem(entry.file, entry.label, f"{a_path}.arm", "arm listed twice in one outcome")
            )
        arms_seen.add(result["arm"])
        problems.extend(_check_arm_result(entry, a_path, result))
    return problems


def _check_arm_result(entry: Entry, path: str, result: dict[str, Any]) -> list[Problem]:
    problems = []

    def problem(field_name: str, message: str) -> None:
        problems.append(Problem(entry.file, entry.label, f"{path}.{field_name}", message))

    median = result.get("median")
    if median is not None and result.get("median_not_reached"):
        problem("median", "given together with median_not_reached: true")
    if median is not None and "unit" not in result:
        problem("unit", "a median needs its unit")
    ci = result.get("median_ci")
    if ci and median is not None:
        if ci[0] is not None and ci[0] > median:
            problem("median_ci", f"lower bound {ci[0]} is above the median {median}")
        if ci[1] is not None and ci[1] < median:
            problem("median_ci", f"upper bound {ci[1]} is below the median {median}")
    rate = result.get("rate")
    if rate is not None and not 0 <= rate <= 100:
        problem("rate", f"a rate is a percentage between 0 and 100, got {rate}")
    rate_ci = result.get("rate_ci")
    if rate_ci and rate is not None:
        if rate_ci[0] is not None and rate_ci[0] > rate:
            problem("rate_ci", f"lower bound {rate_ci[0]} is above the rate {rate}")
        if rate_ci[1] is not None and rate_ci[1] < rate:
            problem("rate_ci", f"upper bound {rate_ci[1]} is below the rate {rate}")
    events, n = result.get("events"), result.get("n")
    if events is not None and n is not None and events > n:
        problem("events", f"{events} events among {n} patients")
    return problems


_P_VALUE = re.compile(r"^(?:p\s*)?([<>=≤≥]?)\s*([0-9]*\.?[0-9]+(?:[eE]-?[0-9]+)?)$", re.IGNORECASE)


def normalise_p_value(text: str) -> str | None:
    """'P<0.001' -> '<0.001'; '0.02' -> '0.02'; None when it is not a p-value."""
    match = _P_VALUE.match(text.strip().replace(" ", ""))
    if not match:
        return None
    comparator, number = match.groups()
    number = number.lower()  # the database's CHECK spells the exponent `e`
    if comparator == "=":
        comparator = ""
    if float(number) > 1:
        return None
    return f"{comparator}{number}"


def outcome_slug(outcome: dict[str, Any]) -> str:
    """A stable key for an outcome that has no explicit slug."""
    parts = [outcome["endpoint"].lower(), outcome["analysis"].replace("_", "-")]
    if outcome.get("assessment") and outcome["assessment"] != "not_stated":
        parts.append(outcome["assessment"].replace("_", "-"))
    cutoff = outcome.get("data_cutoff")
    if cutoff is not None:
        parts.append(cutoff.value.isoformat()[: {"year": 4, "month": 7, "day": 10}[cutoff.precision]])
    return "-".join(parts).replace("_", "-")
