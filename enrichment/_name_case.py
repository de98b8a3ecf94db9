"""Surnames that start with "Mac"/"Mc" letters but are not Gaelic patronymics.

nameparser's case repair writes any all-caps or all-lower "mac..." word as "Mac" + capital
("MACDONALD" -> "MacDonald"), which also turns "MACHADO" into "MacHado" and "MACRON" into
"MacRon". These are the common words where that is wrong; they are written in plain title case
instead. The list follows the exceptions of Perl's Lingua::EN::NameCase plus frequent
Romance/Slavic surnames. Words of four letters or fewer ("Mack", "Mace") are never split by the
rule, so they need no entry.
"""

from __future__ import annotations

# fmt: off
MAC_EXCEPTIONS: frozenset[str] = frozenset(
    {
        "macaluso", "macario", "maccabee", "macchi", "macchia", "macedo", "maceo", "macek",
        "macevicius", "macey", "macha", "machado", "machar", "macharia", "machel", "machell",
        "machen", "machiavelli", "machida", "machiel", "machin", "machlin", "machon", "machuca",
        "macias", "macías", "maciel", "macin", "maciol", "maciulis", "macken", "mackell",
        "mackey", "mackie", "mackle", "macklem", "mackley", "macklin", "mackmin", "mackrell",
        "maclin", "macomber", "macon", "macquarie", "macri", "macron",
    }
)
# fmt: on
