"""Job titles -> seniority, department and persona: who this person is in a buying decision.

Ordered rules over a normalised title. Guard phrases come first because the naive reading of a title is
often wrong ("Product Owner" owns no company, an "HR Business Partner" is no partner, a "Cook" is no COO).
Abbreviations are expanded before the rules ("VP Eng", "Sr Acct Exec", "HRBP"); German, French and Spanish
titles have their own words in the same rules. Only when a rule finds nothing do we try to repair typos
with rapidfuzz ("Mangaer" -> "manager"), and only on longer words, so short acronyms are never guessed.
The labelled set in tests/data/job_titles.csv measures all of this.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field, field_validator

from leadpipe.core.settings import Strict

SENIORITIES = ("owner", "c_level", "vp", "director", "manager", "senior", "individual", "entry")
DEPARTMENTS = ("sales", "marketing", "engineering", "it", "finance", "hr", "operations", "product", "legal",
               "executive", "support", "other")
DEFAULT_SENIORITY = "individual"
DEFAULT_DEPARTMENT = "other"


@dataclass(frozen=True)
class TitleClass:
    seniority: str  # "" when there is no title
    department: str  # "" when there is no title
    method: str  # "rule", "fuzzy" (a typo was repaired), "default" (no rule fitted) or "" (no title)


# Whole-token abbreviations, expanded before any rule runs.
_ABBREVIATIONS = {
    "sr": "senior", "snr": "senior", "jr": "junior", "mgr": "manager", "dir": "director", "asst": "assistant",
    "acct": "account", "exec": "executive", "eng": "engineering", "engg": "engineering", "mktg": "marketing",
    "mkt": "marketing", "ops": "operations", "revops": "revenue operations", "hrbp": "hr business partner",
    "csm": "customer success manager", "pmm": "product marketing manager", "bdr": "business development rep",
    "sdr": "sales development rep", "svp": "vice president", "evp": "vice president", "rvp": "vice president",
    "vp": "vice president", "dev": "developer", "ceo": "chief executive officer",
    "cfo": "chief financial officer", "cto": "chief technology officer", "coo": "chief operating officer",
    "cmo": "chief marketing officer", "cro": "chief revenue officer", "cio": "chief information officer",
    "ciso": "chief information security officer", "chro": "chief human resources officer",
    "clo": "chief legal officer", "pdg": "president directeur general", "drh": "directeur ressources humaines",
    "dsi": "directeur systemes d information", "rrhh": "recursos humanos", "fp": "fp", "gf": "geschaftsfuhrer",
}

# Guards: a phrase that settles both fields before the misleading words in it are read.
_GUARDS: tuple[tuple[str, str, str], ...] = (
    ((r"\b(executive |personal )?assistant (to|of)\b|\bexecutive assistant\b|\bassistante? de direction\b"
      r"|\bpersonal assistant\b"), "entry", "operations"),
    (r"\bchief of staff\b", "director", "executive"),
    (r"\bhead chef\b", "manager", "other"),
)

_SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("senior", r"\bproduct owner\b|\b(hr|human resources|people) business partner\b|\bpeople partner\b"),
    ("entry", (r"\b(intern|internship|trainee|junior|graduate|apprentice|werkstudent(in)?|working student"
              r"|praktikant(in)?|azubi|auszubildende[r]?|stagiaire|alternant(e)?|becari[oa])\b")),
    ("owner", (r"\b(co ?founder|founder|founding|owner|inhaber(in)?|(mit)?grunder(in)?|(co)?fondat(eur|rice)"
              r"|(co)?fundador(a)?|gesellschafter(in)?|socio)\b"
              r"|^(managing |senior |equity |name )?partner$|\bmanaging partner\b")),
    ("c_level", (r"\bchief\b.*\bofficer\b|(?<!vice )\bpresident\b|\bchair(man|woman)?\b.*\bboard\b"
                r"|\bchairman\b"
                r"|\bmanaging director\b|\bgeschaftsfuhr(er|erin|end)|\bvorstand"
                r"|\bdirect(eur|rice) general(e)?\b"
                r"|\bdirector(a)? general\b|\bconsejero delegado\b|\bgerant(e)?\b"
                r"|(?<!associate )(?<!deputy )\bgeneral counsel\b")),
    ("vp", r"\bvice president\b|\bvicepresident(e)?\b|\bvice presidente?\b"),
    ("manager", (r"\b(team|gruppen|projekt)leiter(in)?\b|\bteam ?lead(er)?\b|\bjef[ea] de proyecto\b"
                r"|\bassistant (manager|controller)\b")),
    # A named function's head of money (treasurer) sits at director level, like a Leiter.
    ("director", r"\btreasurer\b|\bdean\b|\bprincipal$"),
    ("c_level", r"\bprovost\b"),
    ("director", (r"\bdirector(a)?\b|\bhead of\b|^head\b|\bhead\b$|\bdirect(eur|rice)\b|(?<!beg)leiter(in)?\b"
                 r"|\bprokurist(in)?\b|\bjef[ea]\b")),
    ("manager", (r"manager(in)?\b|\bresponsable\b|\bchef de (projet|produit)\b|\bchef d(e|es|u)\b|\bgerente\b"
                r"|\bcontroller\b"
                r"|\bsupervisor\b|\bsuperintendent\b|\bforem[ae]n\b|\bforewom[ae]n\b|\bleader\b")),
    ("senior", (r"\bsenior\b|\bprincipal\b|\bstaff (software |data |machine learning )?engineer\b|\blead\b"
               r"|(?<!^)\barchitect\b|\bsenior counsel\b"
               r"|\bassociate general counsel\b")),
    ("entry", (r"\bassistant(e)?\b|\breceptionist\b|\bauxiliar\b|\bclerk\b|assistent(in)?\b|\basistente\b"
              r"|\brecepcionista\b")),
)

_DEPARTMENT_RULES: tuple[tuple[str, str], ...] = (
    ("engineering", (r"\bgis\b|\bgeographic information|\bbim\b|\bbuilding information model"
                    r"|\bresearch and development\b|\brecherche et developpement\b"
                    r"|\binvestigacion y desarrollo\b"
                    r"|\bforschung und entwicklung\b")),  # before "information systems" reads it as IT
    ("sales", (r"\b(sales|revenue) operations\b|\btechnico commercial|\bsales enablement\b"
              r"|\b(sales|solutions) engineer"
              r"|\bpre ?sales\b|\bsales (manager|director|supervisor|representative)\b"
              r"|\bingenieur commercial\b|\b(business|sales) development\b|\bsales and marketing\b")),
    ("marketing", r"\bproduct marketing\b|\bmarketing operations\b"),
    ("hr", r"\bpeople operations\b|\bpeople partner\b|\bhr business partner\b"),
    ("product", r"\bproduct owner\b"),
    ("it", (r"\bit\b|\btecnologias? de la informacion\b"
           r"|\binformation technology\b|(?<!geographic )\binformation systems?\b|\binfrastructure\b"
           r"|\b(enterprise|electronic) content\b|\bsystems? (analyst|specialist|consultant)\b"
           r"|\bapplications analyst\b|\bcomputer (support|technician|specialist|systems|analyst|network)\b"
           r"|\bcomputing services\b|\bdata processing\b|\binformatics\b"
           r"|\bdatabase (administrat|analyst|coordinator|consultant)"
           r"|\bdesktop\b|\bwebmaster\b|\bweb (administrator|technologies)\b|\bmis\b|\btechnical services\b"
           r"|\binformation analyst\b|\brecords? systems\b|\bdocument management\b"
           r"|\btelecom(munications?)?\b(?!.*\b(engineer|design))|\binformation security\b"
           r"|\bcyber ?security\b|\bsecurity analyst\b"
           r"|\bhelp ?desk\b|\bservice desk\b|\bsystems? administrat|\bsystemadministrat|\bnetwork(s|ing)?\b"
           r"|\bdatabase administrator\b|\binformatique\b|\binformatica\b|\bsistemas\b"
           r"|\bsystemes d ?information\b|\bchief information\b")),
    ("support", (r"\bcustomer\b|\bguest (services|relations)\b|\btechnical support\b"
                r"|\bsupport (agent|specialist|manager|engineer)\b|\bclient services?\b|\bkundenservice"
                r"|\bkundendienst|\bkundenbetreu|\bservice client\b"
                r"|\bconseiller clientele\b|\batencion al cliente\b")),
    # Engineers are engineers, whatever they design or test ("Design Engineer", "Software Test Engineer").
    ("engineering", (r"\bengineer\b(?!ing manager)|(?<!^)\barchitect\b(?!.*\binformation technology\b)"
                    r"|\bcomputer scientist\b|\bscrum master\b|\bautomation tester\b"
                    r"|\bresearch and development\b"
                    r"|\br and d\b|\btelecom(munications?)?\b.*\bdesign")),
    ("legal", (r"\blegal\b|\bcounsel\b|\blawyer|\battorney|\bparalegal|\bcompliance\b|\bdata protection\b"
              r"|\bcontract manager\b|\bregulatory\b|\baccreditation\b"
              r"|\brechtsanw|\brechtsabteilung|\bjustiziar|\bjurist|\bjuridi|\bavocat"
              r"|\babogad|\bjudiciaire\b|\bgreffier|\bjue(z|za)\b|\bjuge\b|\brichter(in)?\b")),
    ("finance", (r"\bfinanc|\baccount(ant|ing)\b|\baccounts (payable|receivable)\b|\bcontroll(er|ing)\b"
                r"|\btax\b"
                r"|\btreasur|\baudit|\bfp and a\b|\bcredit\b|\bportfolio\b|\binvestment\b|\bfixed income\b"
                r"|\brisk manage|\bbookkeep|\bpayroll\b|\bbuchhalt|\bfinanz"
                r"|\bnominas?\b|kostenrechn|rechnungswesen"
                r"|\bkaufmannische[r]? leiter|\bcomptab|\bcontable\b")),
    ("hr", (r"\bhr\b|\bhuman resources\b|\bpeople\b|\btalent\b|\brecruit|\blearning and development\b"
           r"|\bbenefits\b|\bcompensation\b|\bemployee relations\b|\btraining\b|\blearning\b|\bdiversity\b"
           r"|\bpersonal|\bressources humaines\b|\brecrutement\b|\brecursos humanos\b|\bseleccion\b")),
    ("marketing", (r"marketing|\bmarket (development|research|analyst|intelligence)|\badvertising\b"
                  r"|\bpromotions?\b|\bcreative\b|\bpublic affairs\b"
                  r"|\bcommunity (relations|manager)\b"
                  r"|\bweb (site |content )?(manager|director|coordinator)\b|\bbrand\b|\bcontent\b|\bcopywrit"
                  r"|\bseo\b|\bsem\b|\bpr\b|\bpublic relations\b"
                  r"|\bcommunication|\bcomunicacion\b|\bsocial media\b|\bdemand gen|\bgrowth\b|\bevents?\b"
                  r"|\bgraphic design|\bsurveys?\b|\bencuestas?\b|\bsondages?\b|\bumfrage|\beventos?\b"
                  r"|\bevenements?\b|\bveranstaltung")),
    # Machine and plant operators run production, whatever the plant makes ("... productos químicos").
    ("operations", (r"\boperador(a)? de (maquinas|plantas|instalaciones)\b|\boperateur de production\b"
                   r"|\bpilote de ligne\b|\b(maschinen|anlagen)fuhrer")),
    ("product", (r"\bproduct\b|\bproduits?\b|\bproductos?\b|\bprodukt|\bux\b|\bui\b|\buser research"
                r"|\bdesign(er)?\b")),
    ("engineering", (r"\bengineer|\bsoftware|\bdeveloper|\bdevelopment (engineer|lead|team)\b"
                    r"|\b(application|web|product|platform|systems?|game|mobile|front ?end|back ?end) development\b"
                    r"|\bdeveloppeur|\bdevops\b|\bsite reliability\b|\bdata\b"
                    r"|\bmachine learning\b|\bqa\b|\btest\b|\bprogramm|\bchief technology\b|\bentwickl"
                    r"|\bingenieur|\bingeniero\b|\bingenieria\b|\btechnical writ|\bdessinateur|\bdibujante"
                    r"|\btechnische[r]? zeichner|\bstatisti|\bestadistic|\bweb\b|\bdesarrollad"
                    r"|\bdirecteur technique\b|\btecnologia\b|\bios\b"
                    r"|\btech\b|\bfront ?end\b|\bback ?end\b|\bfull ?stack\b|\bsolutions architect\b")),
    ("sales", (r"\bsales\b|\baccount (executive|manager)\b|\bbusiness development\b|\bpartnerships?\b"
              r"|\bpartner (manager|development)\b|\baccount (supervisor|director)\b|\bchannel\b|\bvertrieb"
              r"|\bverkauf|\baussendienst|\binnendienst"
              r"|\bcommercial(e)?\b|\bventas\b|\bcomercial\b|\bejecutiv[oa] de (ventas|cuentas)\b|\brevenue\b"
              r"|\bkey account\b|\bmerchandis|\bvend(eur|euse|edor|edora)\b|\btelevend")),
    ("operations", (r"\boperations?\b|\bsupply chain\b|\blogisti|\bprocurement\b|\bpurchas|\bbuyer\b|\bfacilit"
                   r"|\boffice (manager|administrator)\b|\badministrat|\breceptionist\b|\bproject\b"
                   r"|\bprogram manager\b|\bwarehouse\b|\beinkauf|\bprojektleiter|\bachat|\bacheteur\b"
                   r"|\bchef de projet\b|\bcompras\b|\boperaciones\b|\bjef[ea] de proyecto\b"
                   r"|\bbusiness analyst\b"
                   r"|\bchief operating\b|\bsachbearbeiter"
                   # plants, sites and the things that move through them
                   r"|\bplant\b|\bproduction\b|\bmanufacturing\b|\bmaintenance\b|\bassembly\b|\bquality\b"
                   r"|\bdistribution\b|\bshipping\b|\btransportation\b|\bfleet\b|\bmaterials?\b|\bsourcing\b"
                   r"|\bcommodity\b|\binventory\b|\bsite\b|\bsecurity\b|\bsafety\b|\bloss prevention\b"
                   r"|\basset protection\b|\bemergency\b|\bsustainab|\brecords\b|\bpostal\b|\bpostmaster\b"
                   r"|\bdelivery\b"
                   r"|\bgeneral manager\b|\bbusiness manager\b|\butilities\b|\bstation\b|\bloss control\b"
                   r"|\bdocument control\b|instandhalt|\bwartung|\bwerkstatt|nachhaltigkeit"
                   r"|\bdeveloppement durable\b"
                   r"|\bsostenibilidad\b|\bapprovisionnement\b|\baprovisionamiento\b|\babastecimiento"
                   r"|\binventario\b"
                   r"|\bback office\b|\bexploitation\b|\bsalud laboral\b|\barbeitssicherheit\b"
                   r"|\benvironmental (manager|health|quality|compliance)\b")),
    ("executive", (r"\bchief executive\b|\bexecutive director\b|\bfounder|\bfounding\b|\bowner\b|\bpresident\b"
                  r"|\bmanaging director\b"
                  r"|\bchair|\bboard\b|\bpartner\b|\bgeschaftsfuhr|\binhaber|\bgrunder|\bgesellschafter"
                  r"|\bvorstand"
                  r"|\bprokurist|\bdirect(eur|rice) general|\bfondat|\bcofondat|\bgerant"
                  r"|\bdirector(a)? general"
                  r"|\bconsejero delegado\b|\bfundador|\bcofundador|\bsocio\b")),
)

_GUARD_RX = tuple((re.compile(p), s, d) for p, s, d in _GUARDS)
_SENIORITY_RX = tuple((level, re.compile(p)) for level, p in _SENIORITY_RULES)
_DEPARTMENT_RX = tuple((dept, re.compile(p)) for dept, p in _DEPARTMENT_RULES)

# Words the typo repair may correct towards: the rules' own vocabulary, spelled out.
_VOCABULARY = tuple(sorted({
    "manager", "director", "president", "chief", "officer", "founder", "owner", "senior", "junior", "intern",
    "trainee", "assistant", "marketing", "sales", "engineer", "engineering", "software", "developer",
    "accountant", "accounting", "finance", "financial", "recruiter", "recruiting", "customer", "support",
    "success", "service", "operations", "product", "legal", "counsel", "human", "resources", "technology",
    "information", "security", "network", "administrator", "executive", "account", "business", "development",
    "representative", "specialist", "coordinator", "analyst", "controller", "partner", "principal", "lead",
    "vice", "head", "procurement", "purchasing", "logistics", "supply", "chain", "compliance", "attorney",
    "lawyer", "paralegal", "talent", "people", "payroll", "treasury", "audit", "bookkeeper", "designer",
    "design", "content", "brand", "communications", "growth", "devops", "architect", "infrastructure",
    "helpdesk", "technician", "consultant", "revenue", "enablement", "partnerships", "channel", "commercial",
    "directeur", "directrice", "geschaftsfuhrer", "vertrieb", "leiter", "gerente", "responsable", "ventas",
    "comercial", "abogado",
}))
# Real words that look like typos of rule words ("trainer" ~ "trainee"): never repaired.
_NOT_TYPOS = frozenset({"trainer", "training", "trainers", "control", "controle", "controleur", "audio",
                        "video"})
_KNOWN = frozenset(_VOCABULARY) | _NOT_TYPOS
_TOKEN = re.compile(r"[a-z0-9]+")


def normalise_title(title: str) -> str:
    """Lower-case ASCII words with abbreviations spelled out: the form every rule reads."""
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("&", " and ")
    words = _TOKEN.findall(text)
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def _by_rules(text: str) -> tuple[str | None, str | None]:
    for rx, level, dept in _GUARD_RX:
        if rx.search(text):
            return level, dept
    level = next((lvl for lvl, rx in _SENIORITY_RX if rx.search(text)), None)
    dept = next((d for d, rx in _DEPARTMENT_RX if rx.search(text)), None)
    return level, dept


def _repair_typos(text: str) -> str:
    """Replace unknown long words by their closest rule word (Damerau-Levenshtein similarity >= 0.8); short
    words, and real words that merely look like rule words, stay as they are."""
    from rapidfuzz import process  # imported here: config (and so every DAG file) imports this module
    from rapidfuzz.distance import DamerauLevenshtein

    out = []
    for word in text.split():
        if len(word) >= 5 and word not in _KNOWN:
            # Damerau-Levenshtein: a swapped pair of letters ("Mangaer", "Cheif") is one edit, as typed.
            hit = process.extractOne(word, _VOCABULARY, scorer=DamerauLevenshtein.normalized_similarity,
                                     score_cutoff=0.79)  # 0.8 less float error
            # "internal" is not a typo of "intern", nor "control" of "controller": a word that contains the
            # candidate, or starts it, is another word. Typos rarely change the first letter
            # ("power" is no "owner").
            if hit and hit[0] not in word and word not in hit[0] and hit[0][0] == word[0]:
                word = hit[0]
        out.append(word)
    return " ".join(out)


@lru_cache(maxsize=65_536)
def classify_title(title: str | None) -> TitleClass:
    """Seniority and department of a job title (cached: purchased lists repeat titles a lot)."""
    if not title or not title.strip():
        return TitleClass("", "", "")
    text = normalise_title(title)
    level, dept = _by_rules(text)
    method = "rule"
    if level is None or dept is None:
        repaired = _repair_typos(text)
        if repaired != text:
            fixed_level, fixed_dept = _by_rules(repaired)
            if (level is None and fixed_level) or (dept is None and fixed_dept):
                level, dept, method = level or fixed_level, dept or fixed_dept, "fuzzy"
    if level is None and dept is None:
        method = "default"
    return TitleClass(level or DEFAULT_SENIORITY, dept or DEFAULT_DEPARTMENT, method)


# ---------------------------------------------------------------- personas (config)


class PersonaRule(Strict):
    """One persona in config: who counts as, say, the Economic Buyer. First matching persona wins."""

    name: str = Field(description="Persona name as sales-ops uses it, e.g. 'Economic Buyer'.")
    seniorities: list[str] = Field(default_factory=list, description="Seniority levels; empty = any.")
    departments: list[str] = Field(default_factory=list, description="Departments; empty = any.")

    @field_validator("seniorities")
    @classmethod
    def _known_levels(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(SENIORITIES))
        if unknown:
            raise ValueError(f"unknown seniority {unknown}; allowed: {', '.join(SENIORITIES)}")
        return v

    @field_validator("departments")
    @classmethod
    def _known_departments(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(DEPARTMENTS))
        if unknown:
            raise ValueError(f"unknown department {unknown}; allowed: {', '.join(DEPARTMENTS)}")
        return v


def persona_for(seniority: str, department: str, rules: list[PersonaRule]) -> str | None:
    """The first persona whose seniority and department lists both fit; None when none does."""
    for rule in rules:
        if rule.seniorities and seniority not in rule.seniorities:
            continue
        if rule.departments and department not in rule.departments:
            continue
        return rule.name
    return None
