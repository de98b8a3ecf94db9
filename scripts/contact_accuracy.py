"""How well the web extractor finds a company's emails and phone numbers, on the frozen hand-labelled page set.

Per field (emails, phones): `found` = share of the pages that show one where the extractor emits at least one
correct value; `precision` = share of all emitted values that are correct (a fax line, another firm's number or
a date read as a phone counts against it). Also the single company switchboard (`company_phone`,
`company_email`) where the extractor names one, and pages per second.

Usage: .venv/bin/python scripts/contact_accuracy.py [--split all|dev|heldout] [--misses] [--hostile] [--json PATH]
       make bench-contacts
The pages must be in bench/data/contact_pages/ first: .venv/bin/python scripts/fetch_contact_pages.py
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from enrichment.web.extract import extract

SET = REPO / "tests" / "data" / "contact_eval"
CACHE = REPO / "bench" / "data" / "contact_pages"
RESULTS = REPO / "bench" / "results"
FIELDS = {"emails": ("emails", "company_email"), "phones": ("phones", "company_phone")}


def load_set(name: str = "main") -> list[dict[str, str]]:
    """Manifest rows joined with their labels, in manifest order."""
    suffix = "" if name == "main" else f"_{name}"
    with (SET / f"manifest{suffix}.csv").open(encoding="utf-8", newline="") as fh:
        pages = list(csv.DictReader(fh))
    with (SET / f"labels{suffix}.csv").open(encoding="utf-8", newline="") as fh:
        labels = {row["page_id"]: row for row in csv.DictReader(fh)}
    return [{**page, **labels[page["page_id"]]} for page in pages]


def run_extractor(pages: list[dict[str, str]]) -> tuple[list[dict], float]:
    """Each page's extracted fields and the total seconds spent in `extract` (reading files not counted)."""
    takes_country = "country" in inspect.signature(extract).parameters
    bodies = [(CACHE / f"{p['page_id']}.html").read_bytes() for p in pages]
    out, start = [], time.perf_counter()
    for page, body in zip(pages, bodies, strict=True):
        kwargs = {"country": page["company_country"]} if takes_country else {}
        out.append(extract(page["url"], body, **kwargs))
    return out, time.perf_counter() - start


# Hostile pages (web pages are untrusted input): runs that make careless regular expressions retry from every
# position. Timed here, not in tests; before the contact rewrite the first took minutes.
HOSTILE = {
    "200k chars of 'a.'": "<p>" + "a." * 100_000 + "</p>",
    "30k '(dot)' runs": "<p>" + "a (dot) " * 30_000 + "b</p>",
    "20k '[at] (dot)' pairs": "<p>" + "a [at] b (dot) " * 20_000 + "</p>",
    "200k digits and spaces": "<p>" + "1 " * 100_000 + "</p>",
    "20k tel: links": "".join(f"<a href='tel:+1 617 555 {i % 10000:04d}'>x</a>" for i in range(20_000)),
}


def hostile_seconds() -> dict[str, float]:
    out = {}
    for name, html in HOSTILE.items():
        start = time.perf_counter()
        extract("https://acme.example/", html)
        out[name] = round(time.perf_counter() - start, 3)
    return out


def score(pages: list[dict[str, str]], got: list[dict]) -> dict:
    result: dict = {"pages": len(pages)}
    for field, (key, single) in FIELDS.items():
        showing = found = emitted = correct = single_named = single_right = 0
        for page, fields in zip(pages, got, strict=True):
            truth = set(page[field].split())
            values = [v.lower() if field == "emails" else v for v in fields.get(key) or []]
            showing += bool(truth)
            found += bool(truth & set(values))
            emitted += len(values)
            correct += sum(v in truth for v in values)
            if fields.get(single):
                single_named += 1
                single_right += (fields[single].lower() if field == "emails" else fields[single]) in truth
        result[field] = {
            "pages_showing": showing, "pages_found": found,
            "found_share": round(found / showing, 4) if showing else None,
            "emitted": emitted, "correct": correct,
            "precision": round(correct / emitted, 4) if emitted else None,
            f"{single}_named": single_named,
            f"{single}_precision": round(single_right / single_named, 4) if single_named else None,
        }
    return result


def misses(pages: list[dict[str, str]], got: list[dict]) -> list[str]:
    lines = []
    for page, fields in zip(pages, got, strict=True):
        for field, (key, _) in FIELDS.items():
            truth = set(page[field].split())
            values = {v.lower() if field == "emails" else v for v in fields.get(key) or []}
            wrong, missed = values - truth, (truth - values) if not truth & values else set()
            if wrong or missed:
                lines.append(f"{page['page_id']} {field}: wrong {sorted(wrong)} missed {sorted(missed)} "
                             f"({page['url']}, {page['company_country']})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=("main", "extra"), default="main",
                        help="extra: the supplementary trafilatura pages, labelled after the change")
    parser.add_argument("--split", choices=("all", "dev", "heldout"), default="all")
    parser.add_argument("--misses", action="store_true", help="list wrong and missed values (use on dev only)")
    parser.add_argument("--hostile", action="store_true", help="also time synthetic hostile pages")
    parser.add_argument("--json", type=Path, help="where to write the results (default: bench/results/)")
    args = parser.parse_args(argv)
    pages = load_set(args.set)
    absent = [p["page_id"] for p in pages if not (CACHE / f"{p['page_id']}.html").exists()]
    if absent:
        print(f"{len(absent)} of {len(pages)} pages are not in {CACHE} (first: {absent[0]}); "
              f"run .venv/bin/python scripts/fetch_contact_pages.py --set {args.set} first", file=sys.stderr)
        return 2
    got, seconds = run_extractor(pages)
    source = ("scrapinghub/webstruct business_pages, MIT" if args.set == "main"
              else "adbar/trafilatura tests/cache, Apache-2.0, labelled after the change")
    report: dict = {"set": f"tests/data/contact_eval {args.set} ({source})",
                    "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "pages_per_second": round(len(pages) / seconds, 1)}
    parts = ("all", "dev", "heldout") if args.set == "main" else ("all",)
    for part in parts:
        idx = [i for i, p in enumerate(pages) if part == "all" or p["split"] == part]
        report[part] = score([pages[i] for i in idx], [got[i] for i in idx])
    for part in parts:
        r = report[part]
        for field in FIELDS:
            f = r[field]
            print(f"{part:8} {field:7} found on {f['pages_found']:3}/{f['pages_showing']:3} pages that show one "
                  f"({(f['found_share'] or 0):.1%}); precision {f['correct']}/{f['emitted']} "
                  f"({(f['precision'] or 0):.1%})")
    print(f"speed: {report['pages_per_second']} pages/s ({len(pages)} pages, one core)")
    if args.hostile:
        report["hostile_seconds"] = hostile_seconds()
        print("hostile pages: " + ", ".join(f"{k} {v:.2f} s" for k, v in report["hostile_seconds"].items()))
    if args.misses:
        idx = [i for i, p in enumerate(pages) if args.split == "all" or p["split"] == args.split]
        print("\n".join(misses([pages[i] for i in idx], [got[i] for i in idx])))
    target = args.json or RESULTS / f"contacts_{'' if args.set == 'main' else args.set + '_'}" \
                           f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results: {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
