"""Compare two `assistant eval --details` files row by row: the quote, its article, the ranks, the abstention and the
top article must agree for every question (a refactoring keeps behaviour); exit 1 when any differs.

    python bench/compare_details.py before.jsonl after.jsonl
"""

from __future__ import annotations

import json
import sys

FIELDS = ("quote", "quote_article", "hit_rank", "context_rank", "abstained", "top_article")


def rows(path: str) -> dict[str, dict]:
    with open(path, encoding="utf-8") as handle:
        return {row["id"]: row for row in map(json.loads, handle)}


before, after = rows(sys.argv[1]), rows(sys.argv[2])
assert before.keys() == after.keys(), (len(before), len(after))
differ = {field: [i for i in before if before[i][field] != after[i][field]] for field in FIELDS}
scores = sum(abs((before[i]["top_score"] or 0) - (after[i]["top_score"] or 0)) > 1e-4 for i in before)
print(f"rows: {len(before)}")
for field, ids in differ.items():
    print(f"{field}: {len(ids)} differ", ids[:5])
print(f"top_score beyond 1e-4: {scores}")
sys.exit(1 if any(differ.values()) else 0)
