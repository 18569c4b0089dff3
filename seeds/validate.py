"""Read and validate every seed file before anything is written.

Every problem is collected (not just the first) and names the file, the entry and the
field, so a curator can fix a whole batch in one pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from seeds.spec import RELEASE, SECTIONS, F

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


def _check_value(value: Any, spec: F, path: str, problems: list[tuple[str, str]]) -> tuple[bool, Any]:
    """Return (ok, normalised value); append (field path, message) on failure."""

    def bad(message: str) -> tuple[bool, Any]:
        problems.append((path, message))
        return False, None

    kind = spec.kind
    if kind in ("str", "text"):
        if not isinstance(value, str) or not value.strip():
            return bad(f"expected a non-empty string, got {_show(value)}")
        return True, value.strip()
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return bad(f"expected an integer, got {_show(value)}")
        if value < 0:
            return bad(f"expected a non-negative integer, got {value}")
        return True, value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return bad(f"expected a number, got {_show(value)}")
        if not math.isfinite(value):
            return bad(f"expected a finite number, got {value}")
        return True, value
    if kind == "bool":
        if not isinstance(value, bool):
            return bad(f"expected true or false, got {_show(value)}")
        return True, value
    if kind == "enum":
        if value not in spec.choices:
            return bad(f"expected one of {', '.join(spec.choices)}; got {_show(value)}")
        return True, value
    if kind == "pattern":
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return bad(f"expected a string, got {_show(value)}")
        text = str(value).strip()
        if not re.match(spec.pattern, text):
            return bad(f"{text!r} does not match the expected format {spec.pattern}")
        return True, text
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return True, value
        if isinstance(value, str):
            try:
                return True, dt.date.fromisoformat(value)
            except ValueError:
                pass
        return bad(f"expected a date YYYY-MM-DD, got {_show(value)}")
    if kind == "partial_date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return True, PartialDate(value, "day")
        text = str(value) if isinstance(value, (str, int)) else ""
        match = _PARTIAL_DATE.match(text)
        if match:
            year, month, day = match.groups()
            try:
                date = dt.date(int(year), int(month or 1), int(day or 1))
            except ValueError:
                return bad(f"{text!r} is not a real date")
            precision = "day" if day else "month" if month else "year"
            return True, PartialDate(date, precision)
        return bad(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {_show(value)}")
    if kind == "str_list":
        if not isinstance(value, list):
            return bad(f"expected a list of strings, got {_show(value)}")
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, (str, int)) or isinstance(item, bool) or not str(item).strip():
                problems.append((f"{path}[{index}]", f"expected a string, got {_show(item)}"))
            else:
                items.append(str(item).strip())
        return True, items
    if kind == "ref":
        if not isinstance(value, str) or not value.strip():
            return bad(f"expected a {spec.ref} key, got {_show(value)}")
        return True, value.strip()
    if kind == "ref_list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return bad(f"expected a list of {spec.ref} keys, got {_show(value)}")
        if len(set(value)) != len(value):
            return bad("lists the same key twice")
        return True, list(value)
    if kind == "ci":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in value)
        ):
            return bad(f"expected [lower, upper] (numbers or null), got {_show(value)}")
        lower, upper = value
        if lower is not None and upper is not None and lower > upper:
            return bad(f"lower bound {lower} is above upper bound {upper}")
        return True, (lower, upper)
    if kind == "object":
        if not isinstance(value, dict):
            return bad(f"expected a mapping, got {_show(value)}")
        return True, _check_fields(value, spec.spec, path, problems)
    if kind == "object_list":
        if not isinstance(value, list):
            return bad(f"expected a list, got {_show(value)}")
        out = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if not isinstance(item, dict):
                problems.append((item_path, f"expected a mapping, got {_show(item)}"))
                continue
            out.append(_check_fields(item, spec.spec, item_path, problems))
        return True, out
    raise AssertionError(f"unknown field kind {kind}")


def _check_fields(
    data: dict[str, Any], spec: dict[str, F], prefix: str, problems: list[tuple[str, str]]
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


def load_dataset(seeds_dir: Path) -> Dataset:
    """Parse and validate all seed files under `seeds_dir`; raise SeedError listing every problem."""
    problems: list[Problem] = []
    files = seed_files(seeds_dir)
    if not files:
        raise SeedError([Problem(str(seeds_dir), "-", "-", "no seed files (*.yaml) found")])
    digest = hashlib.sha256()
    entries: dict[str, list[Entry]] = {kind: [] for kind, _, _ in SECTIONS.values()}
    version: str | None = None
    sources_by_slug: dict[str, Entry] = {}

    for path in files:
        rel = path.relative_to(seeds_dir.parent).as_posix()
        raw = path.read_bytes()
        digest.update(rel.encode() + b"\0" + raw + b"\0")
        if len(raw) > MAX_FILE_BYTES:
            problems.append(Problem(rel, "-", "-", f"file is larger than {MAX_FILE_BYTES} bytes"))
            continue
        if raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
            problems.append(
                Problem(rel, "-", "-", "starts with a byte-order mark; save it as UTF-8 without BOM")
            )
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel, "-", "-", f"not valid UTF-8 ({exc.reason} at byte {exc.start})"))
            continue
        try:
            refusal = _refuse_hostile_structure(text)
            if refusal is not None:
                problems.append(Problem(rel, "-", "-", refusal))
                continue
            document = yaml.load(text, Loader=_UniqueKeyLoader)
        except yaml.YAMLError as exc:
            problems.append(Problem(rel, "-", "-", f"YAML syntax error: {exc}".replace("\n", " ")))
            continue
        except RecursionError:
            problems.append(Problem(rel, "-", "-", "nesting too deep to read"))
            continue
        if document is None:
            continue
        if not isinstance(document, dict):
            problems.append(Problem(rel, "-", "-", "top level must be a mapping of section names"))
            continue
        for section, items in document.items():
            if section == "release":
                release_problems: list[tuple[str, str]] = []
                if not isinstance(items, dict):
                    problems.append(Problem(rel, "release", "-", "expected a mapping"))
                    continue
                release = _check_fields(items, RELEASE, "", release_problems)
                problems.extend(Problem(rel, "release", f, m) for f, m in release_problems)
                if version is not None:
                    problems.append(Problem(rel, "release", "version", "release is defined twice"))
                version = release.get("version", version)
                continue
            if section not in SECTIONS:
                problems.append(
                    Problem(
                        rel,
                        str(section),
                        "-",
                        f"unknown section (expected one of: release, {', '.join(SECTIONS)})",
                    )
                )
                continue
            kind, key_field, spec = SECTIONS[section]
            if not isinstance(items, list):
                problems.append(Problem(rel, section, "-", "expected a list of entries"))
                continue
            for index, item in enumerate(items):
                label = f"{section}[{index}]"
                if isinstance(item, dict) and isinstance(item.get(key_field), str):
                    label = f"{section}[{index}] ({item[key_field]})"
                if not isinstance(item, dict):
                    problems.append(Problem(rel, label, "-", "expected a mapping"))
                    continue
                field_problems: list[tuple[str, str]] = []
                data = _check_fields(item, spec, "", field_problems)
                problems.extend(Problem(rel, label, f, m) for f, m in field_problems)
                if field_problems:
                    continue
                entry = Entry(rel, label, data)
                if kind == "source":
                    previous = sources_by_slug.get(data["slug"])
                    if previous is not None:
                        conflicts = _source_conflicts(previous.data, data)
                        if conflicts:
                            problems.append(
                                Problem(
                                    rel,
                                    label,
                                    ", ".join(conflicts),
                                    f"source {data['slug']!r} is also defined in {previous.file} "
                                    "with a different value",
                                )
                            )
                        for key, value in data.items():
                            previous.data.setdefault(key, value)
                        continue
                    sources_by_slug[data["slug"]] = entry
                entries[kind].append(entry)

    if version is None:
        problems.append(Problem("seeds/release.yaml", "release", "version", "no data release version found"))
    problems.extend(_check_references(entries))
    if problems:
        raise SeedError(problems)
    assert version is not None
    return Dataset(version=version, checksum=digest.hexdigest(), file_count=len(files), entries=entries)


def _source_conflicts(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Identifiers that two definitions of one source give differently."""
    return [
        key
        for key in ("pmid", "doi", "nct_id")
        if first.get(key) is not None
        and second.get(key) is not None
        and str(first[key]).lower() != str(second[key]).lower()
    ]


def _check_references(entries: dict[str, list[Entry]]) -> list[Problem]:
    problems: list[Problem] = []
    keys: dict[str, set[str]] = {}
    for section, (kind, key_field, _) in SECTIONS.items():
        seen: dict[str, Entry] = {}
        for entry in entries[kind]:
            key = entry.data[key_field]
            if key in seen:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        key_field,
                        f"duplicate {kind} key {key!r} (first defined in {seen[key].file})",
                    )
                )
            seen[key] = entry
        keys[kind] = set(seen)
        del section

    def check(entry: Entry, path: str, kind: str, value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item not in keys[kind]:
                problems.append(Problem(entry.file, entry.label, path, f"unknown {kind} {item!r}"))

    def check_sources(entry: Entry, path: str, data: dict[str, Any]) -> None:
        if "sources" in data:
            check(entry, f"{path}sources", "source", data["sources"])

    for entry in entries["target"]:
        check_sources(entry, "", entry.data)
    for entry in entries["agent"]:
        data = entry.data
        check_sources(entry, "", data)
        if "targets" in data:
            check(entry, "targets", "target", data["targets"])
        if "biosimilar_of" in data:
            check(entry, "biosimilar_of", "agent", data["biosimilar_of"])
            if data["biosimilar_of"] == data["slug"]:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        "biosimilar_of",
                        "an agent cannot be its own biosimilar",
                    )
                )
        if "components" in data:
            check(entry, "components", "agent", data["components"])
        if "adc" in data and data["modality"] != "antibody_drug_conjugate":
            problems.append(
                Problem(
                    entry.file,
                    entry.label,
                    "adc",
                    "only an antibody_drug_conjugate has ADC details",
                )
            )
        if "cell_therapy" in data and data["modality"] != "car_t":
            problems.append(
                Problem(
                    entry.file,
                    entry.label,
                    "cell_therapy",
                    "only a car_t agent has a cell-therapy construct",
                )
            )
        regions = [r["region"] for r in data.get("regional_status", [])]
        if len(regions) != len(set(regions)):
            problems.append(Problem(entry.file, entry.label, "regional_status", "a region is listed twice"))
    for entry in entries["indication"]:
        check_sources(entry, "", entry.data)
        if "parent" in entry.data:
            check(entry, "parent", "indication", entry.data["parent"])
    problems.extend(_check_indication_cycles(entries["indication"]))
    for entry in entries["approval"]:
        data = entry.data
        check_sources(entry, "", data)
        check(entry, "agent", "agent", data["agent"])
        check(entry, "indication", "indication", data["indication"])
        if "pivotal_trials" in data:
            check(entry, "pivotal_trials", "trial", data["pivotal_trials"])
    for entry in entries["trial"]:
        problems.extend(_check_trial(entry, check, check_sources))
    for entry in entries["resistance_mechanism"]:
        data = entry.data
        check_sources(entry, "", data)
        agents_seen: set[str] = set()
        for index, effect in enumerate(data.get("affected_agents", [])):
            path = f"affected_agents[{index}]."
            check(entry, path + "agent", "agent", effect["agent"])
            check_sources(entry, path, effect)
            if effect["agent"] in agents_seen:
                problems.append(Problem(entry.file, entry.label, path + "agent", "agent listed twice"))
            agents_seen.add(effect["agent"])
        for index, way in enumerate(data.get("overcoming", [])):
            path = f"overcoming[{index}]."
            if ("agent" in way) == ("strategy" in way):
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        path + "agent",
                        "give exactly one of agent or strategy",
                    )
                )
            if "agent" in way:
                check(entry, path + "agent", "agent", way["agent"])
            check_sources(entry, path, way)
        names = [b["name"] for b in data.get("biomarkers", [])]
        if len(names) != len(set(names)):
            problems.append(Problem(entry.file, entry.label, "biomarkers", "a biomarker is listed twice"))

    for entry in entries["safety_warning"]:
        check_sources(entry, "", entry.data)
        check(entry, "agent", "agent", entry.data["agent"])

    nct_seen: dict[str, Entry] = {}
    for entry in entries["trial"]:
        nct = entry.data.get("nct_id")
        if nct and nct in nct_seen:
            problems.append(
                Problem(
                    entry.file,
                    entry.label,
                    "nct_id",
                    f"NCT ID {nct} is also used by {nct_seen[nct].label} in {nct_seen[nct].file}",
                )
            )
        if nct:
            nct_seen[nct] = entry
    for kind, field_name in (
        ("agent", "name"),
        ("indication", "name"),
        ("resistance_mechanism", "name"),
    ):
        by_name: dict[str, Entry] = {}
        for entry in entries[kind]:
            name = entry.data[field_name].lower()
            if name in by_name:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        field_name,
                        f"name {entry.data[field_name]!r} is also used by {by_name[name].label}",
                    )
                )
            by_name[name] = entry
    return problems


def _check_indication_cycles(indications: list[Entry]) -> list[Problem]:
    parents = {e.data["slug"]: e.data.get("parent") for e in indications}
    problems = []
    for entry in indications:
        seen = {entry.data["slug"]}
        current = parents.get(entry.data["slug"])
        while current is not None:
            if current in seen:
                problems.append(Problem(entry.file, entry.label, "parent", "the parent chain loops back"))
                break
            seen.add(current)
            current = parents.get(current)
    return problems


def _check_trial(entry: Entry, check: Any, check_sources: Any) -> list[Problem]:
    problems: list[Problem] = []
    data = entry.data
    check_sources(entry, "", data)
    if "indications" in data:
        check(entry, "indications", "indication", data["indications"])
    start = data.get("start_date")
    end = data.get("primary_completion_date")
    if start and end and end.value < start.value:
        problems.append(Problem(entry.file, entry.label, "primary_completion_date", "is before start_date"))
    arm_slugs: set[str] = set()
    for index, arm in enumerate(data.get("arms", [])):
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
                check(entry, f"{r_path}.agent", "agent", component["agent"])
    outcome_slugs: set[str] = set()
    for index, outcome in enumerate(data.get("outcomes", [])):
        path = f"outcomes[{index}]"
        check_sources(entry, f"{path}.", outcome)
        if "slug" in outcome:
            slug = outcome["slug"]
            if slug in outcome_slugs:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        f"{path}.slug",
                        f"two outcomes share the key {slug!r}; give one a distinct `slug`",
                    )
                )
        else:
            # Derived keys are made unique in file order: endpoint-analysis[-assessment][-cutoff][-n].
            base = slug = outcome_slug(outcome)
            counter = 2
            while slug in outcome_slugs:
                slug = f"{base}-{counter}"
                counter += 1
            outcome["slug"] = slug
        outcome_slugs.add(slug)
        hr = outcome.get("hazard_ratio")
        ci = outcome.get("hazard_ratio_ci")
        if hr is not None and hr <= 0:
            problems.append(
                Problem(entry.file, entry.label, f"{path}.hazard_ratio", "must be greater than 0")
            )
        if ci is not None:
            if hr is None:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        f"{path}.hazard_ratio_ci",
                        "given without hazard_ratio",
                    )
                )
            elif None in ci:
                problems.append(
                    Problem(entry.file, entry.label, f"{path}.hazard_ratio_ci", "needs both bounds")
                )
            elif not ci[0] <= hr <= ci[1]:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        f"{path}.hazard_ratio",
                        f"{hr} is outside its confidence interval [{ci[0]}, {ci[1]}]",
                    )
                )
        if "p_value" in outcome:
            normalised = normalise_p_value(outcome["p_value"])
            if normalised is None:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        f"{path}.p_value",
                        f"{outcome['p_value']!r} is not a p-value such as 0.003 or <0.001",
                    )
                )
            else:
                outcome["p_value"] = normalised
        arms_seen: set[str] = set()
        for a_index, result in enumerate(outcome.get("arms", [])):
            a_path = f"{path}.arms[{a_index}]"
            if result["arm"] not in arm_slugs:
                problems.append(
                    Problem(
                        entry.file,
                        entry.label,
                        f"{a_path}.arm",
                        f"unknown arm {result['arm']!r} of this trial",
                    )
                )
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
