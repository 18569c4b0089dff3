"""One-off: set `population_kind` on outcomes from the curated `population` text.

Run once from the repository root. Only unambiguous wordings are classified (cohorts and
subgroups first, then responders, safety, per-protocol, intention-to-treat, then treated
or evaluable sets); any other text is left unclassified for a curator. A line
`population_kind: ...` is added right after the outcome's `population:` line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# (pattern, kind) in order; the first match decides, and "" leaves the outcome unclassified.
RULES: tuple[tuple[str, str], ...] = (
    (r"^all patients \(HR|combined AC and paclitaxel subgroups", ""),
    (r"^responders|responders\b", "responders"),
    (r"received study medication|full analysis set", "modified_itt"),
    (r"\bcohorts?\b|subgroup|hormone receptor-(positive|negative)|\bHR-(positive|negative)\b|with liver"
     r"|with brain|\bDL2\b|dose level|measurable disease|^HER2-positive \(IHC 3\+\)|central HER2", "cohort"),
    (r"^safety set|evaluable for safety", "safety"),
    (r"per-protocol", "per_protocol"),
    (r"intention-to-treat|intent-to-treat|^all randomi[sz]ed patients|^\d+ randomi[sz]ed$", "intention_to_treat"),
    (r"infused|efficacy-evaluable|evaluable for efficacy|who received|^\d+ treated|treated patients|"
     r"efficacy set|efficacy population|primary efficacy analysis set", "modified_itt"),
)  # fmt: skip
POPULATION = re.compile(r"^(\s+)population: (.+)$")


def classify(text: str) -> str | None:
    text = text.strip().strip("\"'")
    for pattern, kind in RULES:
        if re.search(pattern, text, re.IGNORECASE):
            return kind or None
    return None


def main() -> int:
    counts: dict[str, int] = {}
    for path in sorted(Path("seeds").glob("*/trials/*.yaml")):
        out = []
        for line in path.read_text().splitlines():
            out.append(line)
            match = POPULATION.match(line)
            if match and len(match.group(1)) >= 8:  # an outcome's field, not the trial's
                kind = classify(match.group(2))
                counts[kind or "-"] = counts.get(kind or "-", 0) + 1
                if kind:
                    out.append(f"{match.group(1)}population_kind: {kind}")
        path.write_text("\n".join(out) + "\n")
    print(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
