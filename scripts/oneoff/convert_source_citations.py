"""One-off conversion of the seed files' sources to the citation format (migration 0004).

Run once from the repository root: `python scripts/oneoff/convert_source_citations.py`.
Mechanical only, no new facts:

- `url` becomes `retrieved_from` (the URL that was read);
- kinds map onto the new vocabulary: publication -> peer_reviewed_article, registry ->
  registry_record, label/regulator -> regulatory_document (or peer_reviewed_article
  when it has a PMID or DOI: a journal's FDA approval summary; or press_or_news / other
  when it was read on a news or company site), web -> press_or_news for news and
  trade-press hosts, else other;
- a regulatory document read on a regulator's own site (or DailyMed) gets that regulator;
- one document, one source: definitions of one slug that disagree, and entries of
  different slugs sharing a DOI, PMID, NCT ID or URL, are merged into one entry (the one
  with the most identifiers); the values the others gave differently are kept in its
  notes, its missing fields are filled from them, and references are rewritten to it.

Files are edited as text so that comments and layout survive.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

SEEDS = Path("seeds")
IDENTIFIERS = ("doi", "pmid", "nct_id", "url")

NEWS_HOSTS = (
    "ascopost.com", "esmo.org", "thepharmaletter.com", "cancertherapyadvisor.com", "onclive",
    "marketscreener.com", "bloodcancerstoday.com", "biocentury.com", "precisionmedicineonline.com",
    "docwirenews.com", "finanznachrichten.de", "fdanews.com", "biospace.com", "cancernetwork.com",
    "mdedge.com", "pharmaceutical-business-review.com", "bigmoleculewatch.com", "nasdaq.com",
    "pharmacytimes.com", "bioworld.com", "hematologyadvisor.com", "centerwatch.com", "ecancer.org",
    "adcreview.com", "journalofclinicalpathways.com", "cancerletter.com", "seekingalpha.com",
    "genetherapynetwork.com", "cgtlive.com", "targetedonc.com", "hcn.health", "tradersnewssource.com",
    "clinicaloncology.com", "cancerconnect.com", "pipelinereview.com", "ryt9.com",
    "oncologynurseadvisor.com", "immuno-oncologynews.com", "biospectrumasia.com", "advfn.com",
    "wallstreet-online.de", "pmlive.com", "businesswire.com", "citeline.com", "beckershospitalreview.com",
    "pharmexec.com", "topdaily.news", "pharmaceuticaldaily.com", "medworm.com", "managedcaremag.com",
    "spglobal.com", "menafn.com", "stock.sohu.com", "biotech-365.com", "businessinsider.com",
    "m2pharma.com", "mnw.cn", "wkbn.com", "pharmalive.com", "cision.com", "biopharminternational.com",
    "empr.com", "news-medical.net", "drugstorenews.com", "channelnewsasia.com", "pharmtech.com",
    "einnews.com", "prnewswire.com", "globenewswire.com", "reuters.com", "fiercebiotech.com",
    "fiercepharma.com", "medscape.com", "healio.com", "pharmaceutical-tech.com", "vjhemonc.com",
    "lymphomahub.com", "medphanut.com", "aabb.org", "chinanews", "jnccn360.org", "cafepharma.com",
)  # fmt: skip
COMPANY_HOSTS = ("hcp.com", "tecartus.com", "perjeta.com", "herceptin.com", "hcp.novartis.com")
REGULATOR_HOSTS = (
    ("fda.gov", "FDA"), ("pagefreezer.com", "FDA"), ("dailymed.nlm.nih.gov", "FDA"), ("fda.report", "FDA"),
    ("ema.europa.eu", "EMA"), ("ec.europa.eu", "EMA"), ("nmpa.gov.cn", "NMPA"), ("pmda.go.jp", "PMDA"),
)  # fmt: skip
# Hosts of the document of record, preferred as `retrieved_from` when merged entries were read at several.
AUTHORITATIVE_HOSTS = (
    "clinicaltrials.gov", "pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov", "doi.org", "fda.gov", "ema.europa.eu",
    "nejm.org", "thelancet.com", "ascopubs.org", "ashpublications.org", "nature.com", "anzctr.org.au",
)  # fmt: skip
SLUG_PREFERENCE = ("nct-", "pmid-", "doi-", "fda-", "ema-")


def host(url: str | None) -> str:
    return (urlparse(url).hostname or "").removeprefix("www.") if url else ""


def new_kind(source: dict[str, Any]) -> str:
    kind, where = source["kind"], host(source.get("url"))
    if kind == "publication":
        return "peer_reviewed_article"
    if kind == "registry":
        return "registry_record"
    if kind == "conference_abstract":
        return "conference_abstract"
    if any(name in where for name in NEWS_HOSTS):
        return "press_or_news"
    if any(where.endswith(name) for name in COMPANY_HOSTS):
        return "other"
    if kind in ("label", "regulator"):
        return "peer_reviewed_article" if source.get("pmid") or source.get("doi") else "regulatory_document"
    return "other"


def regulator_of(source: dict[str, Any], kind: str) -> str | None:
    if kind != "regulatory_document":
        return None
    where = host(source.get("url"))
    url = source.get("url") or ""
    for name, regulator in REGULATOR_HOSTS:
        if where.endswith(name) and (name != "pagefreezer.com" or "/FDA/" in url):
            return regulator
    return None


def authority(url: str) -> int:
    where = host(url)
    return next(
        (i for i, name in enumerate(AUTHORITATIVE_HOSTS) if where.endswith(name)), len(AUTHORITATIVE_HOSTS)
    )


def identity(key: str, value: Any) -> str:
    text = str(value)
    return text.lower() if key == "doi" else text.rstrip("/") if key == "url" else text


# -- reading ----------------------------------------------------------------------------


def definitions() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(SEEDS.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        if isinstance(document, dict):
            found += [(path, source) for source in document.get("sources") or []]
    return found


class Groups:
    """Union-find over slugs: one group per document."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, slug: str) -> str:
        self.parent.setdefault(slug, slug)
        while self.parent[slug] != slug:
            slug = self.parent[slug]
        return slug

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def preference(slug: str, data: dict[str, Any]) -> tuple[int, int, str]:
    count = sum(1 for key in ("doi", "pmid", "nct_id") if data.get(key))
    prefix = next((i for i, p in enumerate(SLUG_PREFERENCE) if slug.startswith(p)), len(SLUG_PREFERENCE))
    return (-count, prefix, slug)


def merge_group(group: list[tuple[Path, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """The canonical slug of one document's definitions, and their merged definition."""
    first_by_slug: dict[str, dict[str, Any]] = {}
    for _path, source in group:
        first_by_slug.setdefault(source["slug"], source)
    canonical = min(first_by_slug, key=lambda slug: preference(slug, first_by_slug[slug]))
    base = dict(first_by_slug[canonical])
    differing: list[str] = []
    for path, source in group:
        for key, value in source.items():
            if key == "slug":
                continue
            if key not in base:
                base[key] = value
            elif base[key] != value and key != "notes":
                shown = new_kind(source) if key == "kind" else value
                name = "retrieved_from" if key == "url" else key
                differing.append(f"{name} {json.dumps(shown, ensure_ascii=False)} ({path.as_posix()})")
            elif key == "notes" and value not in base["notes"]:
                base["notes"] = f"{base['notes']} {value}"
    urls = [source["url"] for _path, source in group if source.get("url")]
    best = min(urls, key=authority, default=None)
    if best is not None and base.get("url") != best and authority(best) < authority(base["url"]):
        differing = [d for d in differing if json.dumps(best) not in d]
        differing.append(f"retrieved_from {json.dumps(base['url'])}")
        base["url"] = best
    if differing:
        note = "Merged duplicate definitions of this document; they also gave: " + "; ".join(differing) + "."
        base["notes"] = f"{base['notes']} {note}" if base.get("notes") else note
    return canonical, base


def merged_sources() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(canonical slug -> merged definition, any slug -> its canonical slug)."""
    defs = definitions()
    groups = Groups()
    by_identity: dict[tuple[str, str], str] = {}
    for _path, source in defs:
        groups.find(source["slug"])
        for key in IDENTIFIERS:
            if source.get(key):
                other = by_identity.setdefault((key, identity(key, source[key])), source["slug"])
                groups.join(source["slug"], other)
    members: dict[str, list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
    for path, source in defs:
        members[groups.find(source["slug"])].append((path, source))
    canonical_of: dict[str, str] = {}
    merged: dict[str, dict[str, Any]] = {}
    for group in members.values():
        canonical, merged_definition = merge_group(group)
        merged[canonical] = merged_definition
        canonical_of.update((source["slug"], canonical) for _path, source in group)
    return merged, canonical_of


# -- writing ----------------------------------------------------------------------------

ENTRY = re.compile(r"^( *)- slug: *(\S+)\s*$")


def source_blocks(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """(first line, end line, slug, field indent) of each entry of the top-level `sources:` list."""
    blocks = []
    inside = False
    current: tuple[int, str, str] | None = None
    item_indent = ""
    for number, line in enumerate(lines):
        top_level = bool(re.match(r"^[A-Za-z_]", line))
        match = ENTRY.match(line) if inside else None
        if inside and match and not current and not item_indent:
            item_indent = match.group(1)
        ends_item = (
            top_level
            or (match and match.group(1) == item_indent)
            or (
                inside
                and line.strip()
                and not line.startswith(item_indent + "  ")
                and not line.lstrip().startswith("#")
            )
        )
        if ends_item and current is not None:
            blocks.append((current[0], number, current[1], current[2]))
            current = None
        if top_level:
            inside = line.startswith("sources:")
            item_indent = ""
            continue
        if inside and match and match.group(1) == item_indent:
            current = (number, match.group(2).strip("'\""), item_indent + "  ")
    if current is not None:
        blocks.append((current[0], len(lines), current[1], current[2]))
    return blocks


def render(slug: str, data: dict[str, Any], indent: str) -> list[str]:
    kind = new_kind(data)
    out = {"slug": slug, "kind": kind}
    for key in ("title", "journal", "year", "date", "doi", "pmid", "nct_id"):
        if key in data:
            out[key] = data[key]
    regulator = regulator_of(data, kind)
    if regulator:
        out["regulator"] = regulator
    if data.get("url"):
        out["retrieved_from"] = data["url"]
    for key in ("citation", "notes"):
        if key in data:
            out[key] = data[key]
    text = yaml.safe_dump([out], allow_unicode=True, sort_keys=False, width=110)
    item = indent[:-2]
    return [item + line if line else line for line in text.splitlines()]


def edit(block: list[str], data: dict[str, Any], indent: str) -> list[str]:
    """The block with its kind mapped, `url` renamed and a regulator added: nothing else moves."""
    kind = new_kind(data)
    regulator = regulator_of(data, kind)
    out = []
    for line in block:
        if line.startswith(indent + "kind:"):
            line = f"{indent}kind: {kind}"
        elif line.startswith(indent + "url:"):
            if regulator:
                out.append(f"{indent}regulator: {regulator}")
                regulator = None
            line = indent + "retrieved_from:" + line[len(indent) + 4 :]
        out.append(line)
    if regulator:
        out.append(f"{indent}regulator: {regulator}")
    return out


def rewrite(
    path: Path,
    merged: dict[str, dict[str, Any]],
    canonical_of: dict[str, str],
    trivial: set[str],
    written: set[str],
) -> None:
    lines = path.read_text().splitlines()
    own = {s["slug"]: s for s in (yaml.safe_load(path.read_text()) or {}).get("sources") or []}
    out: list[str] = []
    previous = 0
    for start, end, slug, indent in source_blocks(lines):
        out += lines[previous:start]
        block = lines[start:end]
        trailing: list[str] = []
        while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
            trailing.insert(0, block.pop())
        canonical = canonical_of[slug]
        if canonical in trivial:
            out += edit(block, own[slug], indent)
        elif canonical not in written:
            written.add(canonical)
            out += render(canonical, merged[canonical], indent)
        out += trailing
        previous = end
    out += lines[previous:]
    text = "\n".join(out) + "\n"
    for slug, canonical in canonical_of.items():
        if slug != canonical:
            text = re.sub(rf"(?<![A-Za-z0-9-]){re.escape(slug)}(?![A-Za-z0-9-])", canonical, text)
    text = dedupe_flow_lists(text)
    path.write_text(text)


def dedupe_flow_lists(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        items = [item.strip() for item in match.group(2).split(",")]
        unique = list(dict.fromkeys(items))
        return f"{match.group(1)}[{', '.join(unique)}]"

    return re.sub(r"(sources: *)\[([^\]\n]*)\]", fix, text)


def trivial_groups(canonical_of: dict[str, str]) -> set[str]:
    """Canonical slugs whose every definition has that slug and says the same thing."""
    bodies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    slugs: dict[str, set[str]] = defaultdict(set)
    for _path, source in definitions():
        canonical = canonical_of[source["slug"]]
        bodies[canonical].append(source)
        slugs[canonical].add(source["slug"])
    return {c for c, b in bodies.items() if slugs[c] == {c} and all(x == b[0] for x in b)}


def main() -> int:
    merged, canonical_of = merged_sources()
    trivial = trivial_groups(canonical_of)
    written: set[str] = set()
    for path in sorted(SEEDS.rglob("*.yaml")):
        rewrite(path, merged, canonical_of, trivial, written)
    renamed = {s: c for s, c in canonical_of.items() if s != c}
    print(
        f"{len(merged)} sources; {len(merged) - len(trivial)} merged; {len(renamed)} slugs renamed: {renamed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
