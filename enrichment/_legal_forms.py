"""Legal-form words stripped from the end of a company name when building its matching key.

cleanco covers the usual abbreviations (GmbH, Inc., B.V.) but misses spelled-out forms
("Aktiengesellschaft", "Société Anonyme"), "UG (haftungsbeschränkt)", "gGmbH" and some German
combinations ("GmbH & Co. KGaA"), so "Siemens AG" and "Siemens Aktiengesellschaft" would not meet.
Entries are written as company keys are compared: lower case, no accents, no dots, punctuation
as spaces. Only trailing words are removed, and never the last remaining word.
"""

from __future__ import annotations

# fmt: off
LEGAL_FORMS: frozenset[str] = frozenset(
    {
        # German-speaking countries
        "aktiengesellschaft", "ag", "gesellschaft mit beschrankter haftung", "gmbh", "ggmbh", "mbh",
        "kommanditgesellschaft", "kommanditgesellschaft auf aktien", "kg", "kgaa",
        "offene handelsgesellschaft", "ohg", "gesellschaft burgerlichen rechts", "gbr",
        "eingetragener verein", "ev", "eingetragene genossenschaft", "eg", "ug", "haftungsbeschrankt",
        "ug haftungsbeschrankt", "se", "co kg", "co kgaa", "gmbh co kg", "gmbh co kgaa", "ag co kg",
        "se co kg", "se co kgaa",
        # Romance languages
        "societe anonyme", "societe a responsabilite limitee", "societe par actions simplifiee",
        "sociedad anonima", "sociedad limitada", "sociedad de responsabilidad limitada",
        "societa per azioni", "societa a responsabilita limitata", "sociedade anonima",
        "sociedade limitada", "sa", "sas", "sarl", "srl", "spa", "sl", "ltda",
        # Dutch and Nordic
        "besloten vennootschap", "naamloze vennootschap", "bv", "nv", "aktiebolag", "ab",
        "aksjeselskap", "as", "aktieselskab", "anpartsselskab", "aps", "osakeyhtio", "oy", "oyj",
        # English
        "limited liability company", "limited liability partnership", "public limited company",
        "limited company", "limited", "ltd", "llc", "llp", "plc", "inc", "incorporated", "corp",
        "corporation", "company", "co", "pty", "pty ltd",
    }
)
# fmt: on

LONGEST_FORM_WORDS = max(len(form.split()) for form in LEGAL_FORMS)
