"""Industry from what a site says about itself: keyword scoring with a confidence, allowed to stay empty.

No offline classifier exists for this; a short, readable keyword table (English and German, the markets we
sell into) beats an opaque model a sales-ops person cannot correct. Words in the title, description and
headings count three times as much as words in the body.
"""

from __future__ import annotations

import re
from collections import Counter

INDUSTRY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "Software": ("software", "saas", "platform", "app", "cloud", "api", "developer", "developers", "open source",
                 "browser", "web browser"),
    "IT Services & Security": ("it security", "cyber", "cybersecurity", "firewall", "it services", "managed services",
                               "informatik", "it-sicherheit", "network security", "security solutions",
                               "it-dienstleistungen", "rechenzentrum", "systemintegration"),
    "Financial Services": ("bank", "banking", "insurance", "versicherung", "asset management", "fintech",
                           "payments", "vermögensverwaltung", "treuhand", "accounting", "buchhaltung"),
    "Healthcare": ("health", "healthcare", "clinic", "klinik", "medical", "medizin", "pharma", "patients",
                   "hospital", "praxis"),
    "Manufacturing": ("manufacturing", "manufacturer", "hersteller", "fertigung", "maschinenbau", "industrial",
                      "factory", "produktion"),
    "Retail & E-commerce": ("shop", "online shop", "store", "retail", "e-commerce", "ecommerce", "onlineshop",
                            "warenkorb", "cart"),
    "Media & Publishing": ("news", "breaking news", "magazine", "publishing", "verlag", "nachrichten", "journalism",
                           "video", "entertainment"),
    "Education": ("university", "school", "education", "courses", "training", "schulung", "hochschule", "academy",
                  "weiterbildung"),
    "Construction & Real Estate": ("construction", "bau", "bauunternehmen", "architect", "architektur",
                                   "real estate", "immobilien", "property"),
    "Logistics": ("logistics", "logistik", "shipping", "freight", "spedition", "transport", "warehousing"),
    "Consulting": ("consulting", "beratung", "consultancy", "advisory", "unternehmensberatung"),
    "Legal": ("law firm", "lawyers", "rechtsanwalt", "rechtsanwälte", "kanzlei", "attorneys", "legal services"),
    "Marketing & Advertising": ("marketing agency", "advertising", "werbeagentur", "agentur", "seo", "branding",
                                "digital marketing"),
    "Hospitality & Travel": ("hotel", "restaurant", "travel", "reisen", "booking", "gastronomie", "tourism"),
    "Energy": ("energy", "energie", "solar", "photovoltaik", "renewable", "wind power", "strom"),
    "Landscaping & Gardening": ("garden", "garten", "gartenpflege", "gartenbau", "landscaping", "landschaftspflege",
                                "gärtner", "naturgarten"),
}
MIN_HITS = 2
MIN_CONFIDENCE = 0.45

_KEYWORD_TO_INDUSTRY = {k.lower(): industry for industry, words in INDUSTRY_KEYWORDS.items() for k in words}
# One alternation for all keywords (longest first): one pass over the text instead of one per industry.
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(_KEYWORD_TO_INDUSTRY, key=len,
                                                                           reverse=True)) + r")(?![\w-])",
                      re.IGNORECASE)


def classify_industry(headline: str, body: str) -> tuple[str | None, float | None]:
    """(label, confidence 0-1) or (None, None) when no industry stands out clearly enough."""
    scores: Counter[str] = Counter()
    for weight, text in ((3, headline), (1, body[:100_000])):
        for word in _PATTERN.findall(text):
            scores[_KEYWORD_TO_INDUSTRY[word.lower()]] += weight
    total = sum(scores.values())
    if not total:
        return None, None
    label, top = scores.most_common(1)[0]
    confidence = top / total
    if top < MIN_HITS or confidence < MIN_CONFIDENCE:
        return None, None
    return label, round(confidence, 2)
