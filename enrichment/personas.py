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
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from operator import itemgetter

from pydantic import Field, field_validator

from enrichment.title_model import DATA as _DATA
from enrichment.title_model import guess as title_guess
from enrichment.title_model import lookup as title_lookup
from enrichment.title_regex import compile_rule as _compile
from enrichment.title_text import normalise_roles, normalise_title
from leadpipe.core.settings import Strict

SENIORITIES = ("owner", "c_level", "vp", "director", "manager", "senior", "individual", "entry")
DEPARTMENTS = ("sales", "marketing", "engineering", "it", "finance", "hr", "operations", "product", "legal",
               "executive", "support", "other")
DEFAULT_SENIORITY = "individual"
DEFAULT_DEPARTMENT = "other"


@dataclass(frozen=True)
class TitleClass:
    """What a title says, and why: `leadpipe explain` shows `department_by`, `confidence` and `evidence`."""

    seniority: str  # "" when there is no title
    department: str  # "" when there is no title
    method: str  # the rules: "rule", "fuzzy" (a typo was repaired), "default" (no rule fitted) or "" (no title)
    # "rule", "fuzzy", "lookup" (an O*NET title), "model" (above its threshold), "unknown" (so `other`) or ""
    department_by: str = ""
    confidence: float | None = None  # the model's probability, when the model was asked
    evidence: str = ""  # the words a rule matched, the O*NET occupation, or the model's threshold


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
                r"|\bchair(man|woman|person)\b|\bchief (\w+ )?executive\b|\btrustee\b"
                r"|\bboard (member|of directors|of trustees)\b|\bmember of the board\b"
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
    # Any other chief heads a unit, not the company ("Fire Chief", "Chief Engineer"); a head of a function is a
    # director, a head of a crew a manager ("Head Cook", "Head Teller").
    ("director", (r"\bdirector(a)?\b|\bhead of\b|\bhead\b$|\bdirect(eur|rice)\b|(?<!beg)leiter(in)?\b"
                 r"|\bprokurist(in)?\b|\bjef[ea]\b|\bchief\b"
                 r"|\b(department|division|unit|section|group|practice|branch|area|office) head\b"
                 r"|\bhead (sales|marketing|finance|hr|human|legal|it|information|engineering|product|operations"
                 r"|people|talent|design|data|growth|customer|content|procurement|partnerships|business|technology"
                 r"|security|compliance|communications|research|strategy|digital|brand)\b")),
    ("manager", (r"manager(in)?\b|\bresponsable\b|\bchef de (projet|produit)\b|\bchef d(e|es|u)\b|\bgerente\b"
                r"|\bcontroller\b"
                r"|\bsupervisor\b|\bsuperintendent\b|\bforem[ae]n\b|\bforewom[ae]n\b|\bleader\b|^head\b")),
    ("senior", (r"\bsenior\b|\bprincipal\b|\bstaff (software |data |machine learning )?engineer\b|\blead\b"
               r"|(?<!^)\barchitect\b|\bsenior counsel\b"
               r"|\bassociate general counsel\b")),
    ("entry", (r"\bassistant(e)?\b|\breceptionist\b|\bauxiliar\b|\bclerk\b|assistent(in)?\b|\basistente\b"
              r"|\brecepcionista\b")),
)

# Where a title names a trade or a profession, the business words in it are used in another sense ("Locomotive
# Engineer", "Floral Designer", "Professor of Marketing", "Emergency Room Nurse"): the department rules stay out and
# the O*NET lookup and model decide (they know "Locomotive Engineer" as a rail occupation).
# Two of these never work in the business function their words name, so the model is not asked either (it would
# read "marketing" in "Professor of Marketing"): the engineer trades and academic teaching. Unless the O*NET lookup
# knows the exact title, they are `other` by rule.
_TRADE = (r"\b(locomotive|railroad|rail|yard|train|freight|ferry|tug|tugboat|towboat|barge|harbor|port|deckhand"
          r"|stationary|operating|sound|audio|recording|mixing|mastering|studio|broadcast|fire|flight|steam|boiler"
          r"|building|utilities) engineer\b|\b(stationary|steam|boiler) \w+ engineer\b"
          r"|\b(professor|lecturer|teacher|faculty|tutor|docent|lehrer(in)?|professeur|enseignant(e)?"
          r"|profesor(a)?|maestr[oa]|docente)\b")
_DEFER = (_TRADE + r"|\b(cnc|numerical(ly)? control(led)?|machine tool|pattern maker)\b"
          r"|\b(floral|interior|fashion|jewelry|jewellery|costume|set|exhibit|landscape|kitchen|lighting|stage"
          r"|textile|furniture|tattoo|hair|nail|cake|cabinet|tool|pattern|die|mold|mould|shoe|garden|window"
          r"|display|sign|scenic|theatrical) design(er)?\b"
          r"|\binstructor\b"
          r"|\b(nurse|nursing|physician|surgeon|surgical|veterinar(y|ian)|vet|dental|dentist|pharmacy|pharmacist"
          r"|medical|clinical|patient|therapist|paramedic|emt|police|sheriff|firefighter|correctional|clergy"
          r"|pastor|cook)\b")

# Words that name a business function only in an office role ("Quality Manager", "Plant Director"): in a
# worker's title they name the product or the place ("Quality Inspector", "Plant Operator", "Security Guard").
_OFFICE_ROLE = (r"\b(manager|management|director|head|lead|leader|chief|officer|vice president|executive"
                r"|supervisor|superintendent|coordinator|analyst|specialist|planner|administrator|consultant"
                r"|strategist|controller|scheduler|expediter|engineer|advisor|adviser|partner|president|owner"
                r"|founder|representative|associate|assistant|clerk|agent|scientist|architect|writer|editor|creator"
                r"|marketer|charge|chef|responsable|directeur|directrice|director(a)?|leiter(in)?|referent(in)?|gerente"
                r"|jef[ea]|encargad[oa]|coordinador(a)?|tecnic[oa]|technicien(ne)?)\b")

# Stricter: the roles that run a plant, a site or a fleet (a "Maintenance Associate" or "Site Supervisor" works in
# the trade; SOC files first-line supervisors with the people they supervise).
_MANAGING_ROLE = (r"\b(manager|management|director|head|chief|vice president|executive|coordinator|analyst|planner"
                  r"|consultant|strategist|controller|scheduler|expediter|engineer|lead|leader|chef|responsable"
                  r"|directeur|directrice|director(a)?|leiter(in)?|gerente|jef[ea])\b")


def _after(keyword: str, words: str, plural: bool = False, alone: str = "") -> str:
    """`keyword` as a word right after one of `words` ("debt|bill|tax"), or where the title starts with it and ends
    as `alone` says ("$": the whole title; "\\b": anything may follow). The keyword is matched first and the
    words are checked behind it, so the check costs nothing at a title's other words (an alternation of words tried
    at every word of every title made the finance rule 2.5 times slower)."""
    tail = "s?" if plural else ""
    behind = "|".join(f"(?<=\\b{w} {keyword})" for w in words.split("|"))
    start = f"(?<=^{keyword}){tail}{alone}|" if alone else ""
    return f"\\b{keyword}(?:{start}(?:{behind}){tail}\\b)"


_CONTROLLER_OWNERS = ("financial|finance|corporate|group|divisional|division|regional|plant|business unit|company"
                      "|accounting|budget|cost|revenue|treasury|tax|credit|assistant|deputy|associate|senior|junior"
                      "|chief|global|country|general|entity|site|hospital|university|state|city|county|vp"
                      "|vice president|director|head|and")
_MONEY_COLLECTED = ("debt|bill|bills|account|accounts|credit|tax|taxes|loan|loans|collection|collections|rent|payment"
                    "|payments|delinquent|delinquency|cash|insurance|premium|mortgage|medical|hospital|installment"
                    "|finance|financial")
_WORK_TRAINED = ("corporate|technical|staff|employee|management|leadership|workplace|industrial|operations"
                 "|customer service|call centre|call center|new hire")
_SUPERVISOR = r"(supervisors?|foreman|forewoman|foremen|forewomen|foreperson|boss)"
_SUPERVISED_WORK = (r"(repair(er|ers|ing)?|mechanics?|(?<!grounds )(?<!landscape )(?<!lawn )maintenance"
                    r"|install(ation|ations|er|ers)|servic(er|ers)|machinists?|millwrights?|manufactur(ing|er|ers)"
                    r"|(?<!payment )(?<!claims )(?<!data )(?<!transaction )processing|assembl(y|er|ers)"
                    r"|fabricat(ion|or|ors)|drivers?|chauffeurs?|transit|trucks?|trucking|loaders?|dock|warehouse"
                    r"|shipping|freight|cargo)")
_CLAIMS_ADJUSTED = ("insurance|loss|public|independent|auto|automobile|property|casualty|catastrophe|liability|damage"
                    "|average|marine|field|staff|desk")

# (department, pattern, the role the title must name for the pattern to count: "" none, "office", "managing"). Order matters: the first rule that fits wins.
_DEPARTMENT_RULES: tuple[tuple[str, str, str], ...] = (
    ("engineering", (r"\bgis\b|\bgeographic information|\bbim\b|\bbuilding information model"
                    r"|\bresearch and development\b|\brecherche et developpement\b"
                    r"|\binvestigacion y desarrollo\b"
                    r"|\bforschung und entwicklung\b"
                    r"|\bcadd?\b|\bdrafters?\b|\bdraftsm[ae]n\b|\bdrafting\b|\bcomputer aided (design|drafting)\b"
                    r"|\barchitectural designer\b|\bergonomist|\bphotogrammetr|\bcartograph|\bnon destructive"
                    r"|\binstrumentation\b|\bmechatronic|\brobotics\b"
                    r"|\b(electrical|electronics?|mechanical|civil|structural|piping|hvac|automation|circuit board|pcb"
                    r"|layout|tool and die|mold) designer\b"), ""),  # before "information systems" reads it as IT
    ("sales", (r"\b(sales|revenue) operations\b|\btechnico commercial|\bsales enablement\b"
              r"|\b(sales|solutions) engineer"
              r"|\bpre ?sales\b|\bsales (manager|director|supervisor|representatives?|reps?|agents?|associates?"
              r"|consultants?|executives?|clerks?|persons?|people|specialists?)\b|\bsales(man|woman|person)s?\b"
              r"|\bsalespeople\b|\btelesales\b|\brealtor\b|\breal estate (agent|broker|salesperson)"
              r"|\b(stock|securities) (broker|trader)"
              r"|\bingenieur commercial\b|\b(business|sales) develop(ment|er)\b|\bsales and marketing\b"
              r"|(?<!property )(?<!building )(?<!housing )(?<!apartment )\brental (service|sales|desk|counter|office|station|agent|clerk|specialist|advisor|adviser"
              r"|representative|associate|manager|coordinator)|\bauction|\bsellers?\b"
              r"|(?<!card )(?<!casino )(?<!blackjack )(?<!poker )(?<!table )(?<!games )\bdealers?\b"
              r"|\b(estate|lettings?|leasing|realty) (agent|broker|consultant|negotiator)s?\b|\brealtors?\b"
              r"|\b(check ?out|till) (manager|supervisor|team leader|operator|assistant)\b"
              r"|\b(promotions?|product) demonstrator"), ""),
    ("marketing", r"\bproduct marketing\b|\bmarketing operations\b|\bmedia (buy|plann)", ""),
    ("hr", r"\bpeople operations\b|\bpeople partner\b|\bhr business partner\b", ""),
    ("product", r"\bproduct owner\b", ""),
    ("operations", (r"\bdata (entry|capture|input)\b"
                    r"|(?<!meat )\bpackers?\b|\bshelf (filler|stacker)|\bforklift|\border (picker|filler)"
                    r"|\bpost(man|woman|men|women)\b|\bmail(man|men)\b|\b(mail|letter|city|rural|route|postal) carriers?\b"
                    r"|\bcouriers?\b|\btypists?\b"
                    # the switchboard (43-2011), the stores (43-5081, 53-7062) and the timetable (43-5061), of
                    # whatever place: a medical appointment scheduler books patients (43-6013)
                    r"|\b(telephone|switchboard|answering service|directory assistance|pbx) operators?\b"
                    r"|\bstore ?(keeper|man|men|woman|women|person|persons)\b|\bstores (clerk|assistant|hand|person"
                    r"|officer)s?\b|(?<!appointment )(?<!patient )(?<!medical )\bschedulers?\b"
                    r"|\bbuying (agent|manager|assistant|director|officer)|\bsupply (agent|officer)\b"
                    r"|\bproduction (control )?supervisor|\boccupational (health|hygien|safety)"
                    r"|\bfood (safety|hygiene)\b|\bhealth and safety\b(?! engineer)"), ""),  # clerical work, before "data" reads as engineering
    ("it", (r"\bit\b(?!.*\b(developer|programmer|architect)s?\b)|\btecnologias? de la informacion\b"
           r"|\binformation technology\b|(?<!geographic )\binformation systems?\b|\binfrastructure\b"
           r"|\b(enterprise|electronic) content\b|\bsystems? (analyst|specialist|consultant)\b"
           r"|\bapplications analyst\b|\bcomputer (support|technician|specialist|systems|analyst|network)\b"
           r"|\bcomputing services\b|\bdata processing\b|\binformatics\b"
           r"|\bdata ?base (administrat|analyst|coordinator|consultant|manager)|\bweb ?site (administrator|technician)\b"
           r"|\bdesktop\b(?! publish)|\bwebmaster\b|\bweb (administrator|technologies)\b|\bmis\b|\btechnical services\b"
           r"|\binformation analyst\b|\brecords? systems\b|\bdocument management\b"
           r"|\btelecom(munications?)?\b(?!.*\b(engineer|design|install|repair|line|tower|equipment))"
           r"|\binformation security\b"
           r"|\bcyber ?security\b|\bsecurity analyst\b"
           r"|\bhelp ?desk\b|\bservice desk\b|\bsystems? administrat|\bsystemadministrat|\bnetwork(s|ing)?\b(?! market)"
           r"|\bdatabase administrator\b|\binformatique\b|\binformatica\b|\bsistemas\b"
           r"|\bsystemes d ?information\b|\bchief information\b"), ""),
    ("support", (r"\bcustomer\b|\bguest (services|relations)\b|\b(call|contact) cent(re|er)s?\b|\btechnical support\b"
                r"|\bsupport (agent|specialist|manager|engineer)\b|\bclient services?\b|\bkundenservice"
                r"|\bkundendienst|\bkundenbetreu|\bservice client\b"
                r"|\bconseiller clientele\b|\batencion al cliente\b"), ""),
    # Engineers are engineers, whatever they design or test ("Design Engineer", "Software Test Engineer"); the
    # trades called engineer (locomotive, sound, stationary ...) are deferred above. Architects are engineering
    # when they design technology ("Solutions Architect"), not buildings or gardens ("Landscape Architect").
    ("engineering", (r"\bengineer\b(?!ing manager)"
                    r"|\b(software|solutions?|cloud|data|enterprise|systems?|technical|security|network"
                    r"|applications?|integration|platform|infrastructure|salesforce|devops|ml|database|information"
                    r"|technology|it|api|product|mobile|web|ai|computer|storage|analytics|bi) architect\b"
                    r"(?!.*\binformation technology\b)"
                    r"|\bcomputer scientist\b|\bscrum master\b|\bautomation tester\b"
                    r"|\bresearch and development\b"
                    r"|\br and d\b|\btelecom(munications?)?\b.*\bdesign"), ""),
    ("legal", (r"\blegal\b|\blaw\b(?! (enforcement|librar|officer))|\bcounsel\b|\blawyer|\battorney|\bparalegal|\bcompliance\b|\bdata protection\b"
              r"|\bcontract manager\b|\bregulatory\b|\baccreditation\b|\bjudge\b|\bjudicial\b|\bcourt\b"
              r"|\blitigation\b|\bmagistrate\b|\bcourtroom\b|\b(deposition|shorthand) reporter|\blicensing (officer|examiner|standards)|\bjudges\b|\bhearings? officers?\b|\badjudicat|\barbitrat"
              # licensing officials (ISCO 3354; 13-1041 licensing examiners): who may drive, trade or build
              r"|(?<!software )(?<!product )\blicen[cs]e (examiner|inspector|agent|specialist|technician|officer|reviewing)|\bdriver( s)? examiner"
              r"|\bpermits? (specialist|officer|technician)\b"
              r"|\bmediator|\btitle (examiner|abstractor|searcher)|\bequal (employment )?opportunity\b|\beeo\b"
              r"|\bcivil rights\b|\bappeals\b"
              r"|\brechtsanw|\brechtsabteilung|\bjustiziar|\bjurist|\bjuridi|\bavocat"
              r"|\babogad|\bjudiciaire\b|\bgreffier|\bjue(z|za)\b|\bjuge\b|\brichter(in)?\b"), ""),
    ("finance", (r"\bfinanc|\baccount(ant|ing)\b|\baccounts (payable|receivable)\b"
                # a controller is finance's only as the company's or a unit's controller, bare or after a finance,
                # unit or level word: a weed, linen, network or air traffic controller controls no money
                r"|(?<!traffic )(?<!air )(?<!inventory )(?<!stock )(?<!quality )(?<!production )(?<!safety )\bcontrolling\b"
                r"|" + _after("controller", _CONTROLLER_OWNERS, alone="\\b") +
                r"|\btax\b|(?<!chief )\brevenue (agent|officer|examiner|collector|auditor|accountant|cycle)\b"
                r"|\btreasur|\baudit|\bfp and a\b|\bcredit\b|\bportfolio\b|\binvestment\b|\bfixed income\b"
                r"|\brisk manage|\bbook ?keep|\bpayroll\b|\bbuchhalt|\bfinanz|\bbudget(s|ing|ary)?\b|\bcollections?\b"
                r"|\baccounts? (payable|receivable|clerk|assistant)|\binvoic|\bwages? (clerk|administrator|assistant)|\bm and a\b"
                r"|\bmergers?\b|\bcapital markets?\b"
                r"|\bstock market\b|\binvestor relations\b|\bsecurities (research|analyst)|\bdebt\b|\bloans\b"
                # a collector or adjuster is finance's when bare or collecting or adjusting money (debts, claims):
                # a garbage, toll or coin collector and a tool or machine adjuster are not
                r"|" + _after("collector", _MONEY_COLLECTED, plural=True, alone="$") +
                r"|\bcollectors? of (taxes|accounts|debts?)\b"
                r"|\bbilling\b|\bloan\b|\bunderwrit|\bactuar|\bteller\b"
                r"|\bclaims?\b|\bappraiser|" + _after("adjuster", _CLAIMS_ADJUSTED, plural=True, alone="$") +
                r"|\bassessor\b|\b(damage|collision|body)\b.*\bestimators?\b"  # insurance appraisers (13-1032)
                r"|\bquantitative analyst\b"
                r"|\bnominas?\b|kostenrechn|rechnungswesen"
                r"|\bkaufmannische[r]? leiter|\bcomptab|\bcontable\b"), ""),
    ("hr", (r"\bhr\b|\bhuman resources\b|\brecruit|\blearning and development\b"
           r"|\bcompensation\b|\b(employee|labou?r|industrial) relations\b|\bdiversity\b|\bpersonnel\b"
           r"|\bequality\b|\binclusion\b|\banti discrimination\b|\boutplacement\b|\bstaffing\b|\bheadhunt|\bhead hunter"
           r"|\bpersonal(?!i[sz]|ly)[a-z]+|\bleiter(in)? personal\b|\bpersonal und\b"
           r"|\bemployment (specialist|representative|manager|coordinator|interviewer|officer|advis[eo]r|counsel+or"
           r"|consultant|service)\b|\bjob (interviewer|service)\b|\bposition classification\b"
           # placing people in jobs (13-1071); training them at work (13-1151): a bare trainer, or a trainer of
           # staff or managers (a sales trainer stays in sales, the rubric's sales enablement), not of athletes,
           # animals or the public's fitness (39-9031, 39-2011)
           r"|\bplacement (officer|coordinator|counsel+or|specialist|consultant)\b|\bcredential(ing|s) (specialist"
           r"|coordinator|analyst)\b|" + _after("trainer", _WORK_TRAINED, plural=True, alone="$") +
           r"|\bleadership development\b"
           r"|\bressources humaines\b|\brecrutement\b|\brecursos humanos\b|\bseleccion\b"), ""),
    ("hr", r"\bpeople\b|\btalent\b|\bbenefits\b|\btraining\b|\blearning\b", "office"),
    ("marketing", (r"marketing|\bmarketer|\bcontent (writer|creator|editor|strateg)|\bmarket (development|research|analyst|intelligence)|\badvertising\b"
                  r"|\bdisplay (artist|decorator|designer|coordinator)|\bvisual merchandis|\bwindow (dresser|trimmer)"
                  r"|\bdesktop publish|\bmedia relations\b|\bpublic information officer\b"
                  r"|\bpublic affairs\b|\bcommunity (relations|manager)\b"
                  r"|\bweb (site |content )?(manager|director|coordinator)\b|\bbrand\b|\bcopywrit"
                  r"|\bseo\b|\bsem\b|\bpr\b|\bpublic relations\b"
                  r"|\bcomunicacion\b|\bsocial media\b|\bdemand gen"
                  r"|\bgraphic design|\bencuestas?\b|\bsondages?\b|\bumfrage|\beventos?\b"
                  r"|\bevenements?\b|\bveranstaltung"), ""),
    # personalisation tailors campaigns and content to customers (e-commerce, CRM): marketing, no Personal (HR)
    ("marketing", (r"\bpromotions?\b|\bcreative\b|\bcontent\b|\bcommunication|\bgrowth\b|\bevents?\b|\bsurveys?\b"
                   r"|\bpersonali[sz]ation\b"), "office"),
    # Machine and plant operators run production, whatever the plant makes ("... productos químicos").
    ("operations", (r"\boperador(a)? de (maquinas|plantas|instalaciones)\b|\boperateur de production\b"
                   r"|\bpilote de ligne\b|\b(maschinen|anlagen)fuhrer"), ""),
    # A designer is product only when the title says what of the product ("UX Designer", "Product Designer"); a
    # bare "designer" of roads, solar arrays or make-up is left to the O*NET lookup and model.
    ("product", (r"\bproduct\b|\bproduits?\b|\bproductos?\b|\bprodukt|\bux\b|\bui\b|\buser research"
                r"|\b(user experience|user interface|interaction|digital|web|visual|service|experience|app|game"
                r"|mobile|software|industrial) design(er)?\b|^design(er)?\b|\bdesign (lead|manager|director"
                r"|team|ops|operations|researcher|strategist)\b|\bhead of design\b"), ""),
    ("engineering", (r"\bengineer|\bsoftware|\bdeveloper|\bdevelopment (engineer|lead|team)\b"
                    r"|\b(application|web|product|platform|systems?|game|mobile|front ?end|back ?end) development\b"
                    r"|\bdeveloppeur|\bdevops\b|\bsite reliability\b"
                    r"|\bdata (scien|engineer|analy|architect|warehous|officer|platform|governance|model|mining"
                    r"|visuali)"
                    r"|\bmachine learning\b|\bqa\b|\bprogramm(?!es?\b)|\bchief technology\b|\bentwickl"
                    r"|\bingenieur|\bingeniero\b|\bingenieria\b|\btechnical writ|\bdessinateur|\bdibujante"
                    r"|\btechnische[r]? zeichner|\bstatistician|\bestadistic|\bweb\b(?! press)|\bdesarrollad"
                    r"|\bdrafter\b|\bdraftsman\b|\bdrafting\b|\bcad\b"
                    r"|\bdirecteur technique\b|\btecnologia\b|\bios\b"
                    r"|\bfront ?end\b|\bback ?end\b|\bfull ?stack\b|\bsolutions architect\b"), ""),
    ("engineering", r"\bdata\b|\btest\b|\btech\b|\bstatisti", "office"),
    ("sales", (r"\bsales\b|\bsalesperson\b|\bsales(man|woman|people)\b|\baccount (executive|manager)\b"
              r"|\bbusiness development\b|\bpartnerships?\b"
              r"|\bpartner (manager|development)\b|\baccount (supervisor|director)\b|\bchannel\b|\bvertrieb"
              r"|\bverkauf|\baussendienst|\binnendienst"
              # "commercial" is sales as a function (Commercial Director, Head of Commercial), not as the kind of
              # work a trade does (Commercial Roofing Estimator, Commercial Insulator, Commercial Lawn Specialist)
              r"|\bcommerciale?\b(?=$| (and|&|of|director|manager|head|lead|leader|officer|executive|exec|analyst"
              r"|associate|representative|rep|partner|specialist|coordinator|advisor|adviser|consultant|agent"
              r"|assistant|team|operations|excellence|strategy|development|vp|vice|sales|france|deutschland|europe"
              r"|emea|apac|export|grands|lines|sedentaire|terrain|itinerante?|b2b|btob|junior|senior|confirmee?)\b)"
              r"|\bventas\b|\bcomercial\b|\bejecutiv[oa] de (ventas|cuentas)\b"
              r"|\b(chief|head of|vice president|director of) revenue\b"
              r"|\brevenue (operations|management|manager|growth|leader|director|team|strategy|enablement)\b"
              r"|\bkey account\b|\bmerchandis|\bvend(eur|euse|edor|edora)\b|\btelevend|\btelemarket"
              r"|\bretail associate\b|\bcashier\b"), ""),
    # first-line supervisors of repair, installation, production and transport crews (49-1011, 51-1011, 53-1);
    # construction, grounds, kitchen and cleaning crews' supervisors (47-1011, 37-1, 35-1) name none of these words
    ("operations", (r"\b" + _SUPERVISED_WORK + r"\b.*\b" + _SUPERVISOR + r"\b"
                    r"|\b" + _SUPERVISOR + r"\b.*\b" + _SUPERVISED_WORK + r"\b"), ""),
    ("operations", (r"\boperations?\b|\bsupply chain\b|\blogisti|\bprocurement\b|\bpurchas|\bbuyer\b|\bfacilit"
                   r"|\boffice (manager|administrator|clerk|assistant|coordinator)\b|\badministrat"
                   r"|\breceptionist\b|\bstockroom\b|\breceiving\b|\bshipping\b|\bdispatcher\b"
                   r"|\bmail (clerk|room|handler|sorter|processor)|\bmailroom\b|\bcorrespondence\b|\bmeter reader"
                   r"|\bcost (estimator|analyst)|\bestimators?\b|\bclerks?\b"  # cost estimators (13-1051)
                   # graders of products (51-9061); log and lumber graders (45-4023) and road graders are not
                   r"|(?<!log )(?<!lumber )(?<!timber )(?<!road )(?<!motor )\bgraders?\b(?! operator)"
                   r"|\bprogramm?e? manager\b|\bwarehouse\b|\beinkauf|\bprojektleiter|\bachat|\bacheteur\b"
                   r"|\bchef de projet\b|\bcompras\b|\boperaciones\b|\bjef[ea] de proyecto\b"
                   r"|\bbusiness analyst\b"
                   r"|\bchief operating\b|\bsachbearbeiter"
                   r"|\bgeneral manager\b|\bbusiness manager\b|\bloss control\b"
                   r"|\bdocument control\b|instandhalt|\bwartung|\bwerkstatt|nachhaltigkeit"
                   r"|\bdeveloppement durable\b"
                   r"|\bsostenibilidad\b|\bapprovisionnement\b|\baprovisionamiento\b|\babastecimiento"
                   r"|\binventario\b|\bpostal\b|\bpostmaster\b|\bsourcing\b|\bcommodity\b|\binventory\b"
                   r"|\bback office\b|\bexploitation\b|\bsalud laboral\b|\barbeitssicherheit\b"
                   r"|\benvironmental (manager|health|quality|compliance)\b"), ""),
    # plants, sites and the things that move through them: the function only for the office roles that run them
    ("operations", (r"\bproject\b|\bplant\b|\bproduction\b|\bmanufacturing\b|\bmaintenance\b|\bassembly\b"
                    r"|\bquality\b|\bdistribution\b|\btransportation\b|\bfleet\b|\bmaterials?\b|\bsite\b"
                    r"|\bsecurity (manager|director|head|chief|specialist|coordinator|consultant|analyst|lead)\b"
                    r"|\bsafety\b|\bloss prevention\b|\basset protection\b|\bsustainab|\brecords\b"
                    r"|\bdelivery\b|\butilities\b|\bstation\b|\btransport\b|\bimport|\bexport|\bfreight\b"
                    r"|\bshipping\b"), "managing"),
    ("executive", (r"\bchief executive\b|\bexecutive director\b|\bfounder|\bfounding\b|\bowner\b|\bpresident\b"
                  r"|\bmanaging director\b"
                  r"|\bchair(man|woman|person)?\b(?! ?side| (maker|builder|caner)s?\b)|\bboard (member|of directors|of trustees|director)\b"
                  r"|\bof the board\b|\btrustee\b"
                  r"|\bpartner\b|\bgeschaftsfuhr|\binhaber|\bgrunder|\bgesellschafter"
                  r"|\bvorstand"
                  r"|\bprokurist|\bdirect(eur|rice) general|\bfondat|\bcofondat|\bgerant"
                  r"|\bdirector(a)? general"
                  r"|\bconsejero delegado\b|\bfundador|\bcofundador|\bsocio\b"), ""),
)



_GUARD_RX = tuple((_compile(p), s, d) for p, s, d in _GUARDS)
_SENIORITY_RX = tuple((level, _compile(p)) for level, p in _SENIORITY_RULES)
# The union of the guards and the seniority rules: most titles name no level ("Software Engineer", "Nurse"), and one
# search of the union tells so at once instead of one search per rule (a rule's match implies the union's).
_ANY_LEVEL_RX = _compile("|".join([*(p for p, _, _ in _GUARDS), *(p for _, p in _SENIORITY_RULES)]))
_DEPARTMENT_RX = tuple((dept, _compile(p), role) for dept, p, role in _DEPARTMENT_RULES)
# The union of every department rule: most titles that reach the model fit none, and one search of the union
# tells so at once instead of one search per rule (a rule's match implies the union's, so nothing changes).
_ANY_DEPARTMENT_RX = _compile("|".join(p for _, p, _ in _DEPARTMENT_RULES))  # top-level alternatives: a flat union
_DEFER_RX = _compile(_DEFER)
# Crafts whose words look like a business function's to the model ("3D Artist" reads like a 3D printing technician,
# a bare "Architekt" like a software architect): `other` where no rule and no lookup title names a department
# ("Display Artist" is marketing by rule, "Graphic Artist" by the lookup, "Solutions Architect" by rule).
_CRAFT = r"\b(artist|artiste|kunstler(in)?|artista)s?\b|^(architect|architekt|architecte|arquitect[oa])s?$"
_TRADE_RX = _compile(_TRADE + "|" + _CRAFT)


# Words that name a level or a role but no function: a title made of these alone ("Senior Consultant", "Assistant
# Manager", "Graduate Trainee") names no department, whatever occupation a lookup source filed it under.
_GENERIC_WORDS = frozenset({
    "senior", "junior", "assistant", "associate", "deputy", "principal", "lead", "leader", "head", "chief", "general",
    "manager", "management", "director", "executive", "officer", "consultant", "specialist", "coordinator", "co",
    "ordinator", "adviser", "advisor", "expert", "analyst", "supervisor", "graduate", "trainee", "intern",
    "apprentice", "team", "member", "staff", "professional", "worker", "employee", "of", "and", "i", "ii", "iii"})


def generic_title(text: str) -> bool:
    """Whether a normalised title names only levels and roles (no function): `other` when no rule fits."""
    words = text.split()
    return bool(words) and _GENERIC_WORDS.issuperset(words)


def trade_words(text: str) -> str | None:
    """The words by which a normalised title names an engineer trade, academic teaching or a craft the model
    misreads: `other`, whatever business word follows ("Sound Engineer", "Professor of Marketing", "3D Artist");
    None when it names none."""
    found = _TRADE_RX.search(text)
    return found.group(0) if found else None
_ROLE_RX = {"office": _compile(_OFFICE_ROLE), "managing": _compile(_MANAGING_ROLE)}

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
# The rule words by their first letter (in their sorted order): a typo is repaired only towards a word of its own.
_VOCABULARY_BY_LETTER = {letter: tuple(words) for letter, words in groupby(_VOCABULARY, key=itemgetter(0))}


def _level_by_rules(text: str) -> tuple[str | None, tuple[str | None, str] | None]:
    """(seniority by the guards and the seniority rules, and (department, the words) where a guard decided it)."""
    if not _ANY_LEVEL_RX.search(text):
        return None, None
    for rx, level, dept in _GUARD_RX:
        if found := rx.search(text):
            return level, (dept, found.group(0))
    return next((lvl for lvl, rx in _SENIORITY_RX if rx.search(text)), None), None


def _seniority_by_rules(text: str) -> str | None:
    """The seniority `_by_rules` gives, without reading the department."""
    return _level_by_rules(text)[0]


def _by_rules(text: str) -> tuple[str | None, str | None, str]:
    """(seniority, department, the words that decided the department) by the rules; None where none fits."""
    level, guarded = _level_by_rules(text)
    if guarded is not None:
        return level, *guarded
    if _DEFER_RX.search(text) or not _ANY_DEPARTMENT_RX.search(text):
        return level, None, ""
    # "X in Y": the role X decides before the field Y it works in ("rental sales agent in construction and civil
    # engineering machinery", "import export manager in textile industry"); Y is read only when X names nothing.
    head, sep, _ = text.partition(" in ")
    if sep and head and _ANY_DEPARTMENT_RX.search(head) and (found := _department(head)):
        return level, *found
    found = _department(text)  # the union fitted `text` above
    return (level, *found) if found else (level, None, "")


def _department(text: str) -> tuple[str, str] | None:
    """The first department rule that fits (its role condition met), with the words it matched; the caller
    has found that the union of the rules fits (a rule that fits implies so), and searches it once."""
    roles: dict[str, bool] = {}
    for dept, rx, role in _DEPARTMENT_RX:
        if role:
            if role not in roles:
                roles[role] = _ROLE_RX[role].search(text) is not None
            if not roles[role]:
                continue
        if found := rx.search(text):
            return dept, found.group(0)
    return None


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    """Real words (O*NET 27.0 titles, descriptions and tasks; enrichment/data/title_words.txt) and the rules'
    own words: the typo repair never rewrites one of them ("layer" stays layer, "controlled" stays controlled)."""
    words = (_DATA / "title_words.txt").read_text(encoding="utf-8").split()
    return frozenset(words) | _KNOWN


def _repair_typos(text: str) -> str:
    """Replace unknown long words by their closest rule word (Damerau-Levenshtein similarity >= 0.8); short
    words, and real words (the dictionary), stay as they are."""
    return " ".join(map(_repair_word, text.split()))


@lru_cache(maxsize=65_536)
def _repair_word(word: str) -> str:
    """One word of `_repair_typos` (cached: titles share their words, and the fuzzy search is the dear part)."""
    from rapidfuzz import process  # imported here: config (and so every DAG file) imports this module
    from rapidfuzz.distance import DamerauLevenshtein

    def closest(words: tuple[str, ...]) -> tuple | None:
        # Damerau-Levenshtein: a swapped pair of letters ("Mangaer", "Cheif") is one edit, as typed.
        return process.extractOne(word, words, scorer=DamerauLevenshtein.normalized_similarity,
                                  score_cutoff=0.79)  # 0.8 less float error

    if len(word) >= 5 and word not in _dictionary():
        # A repair keeps the first letter (below), so where no rule word of that letter is close enough, the best
        # of all the rule words is not used either: the search of those few words spares most searches of all.
        if closest(_VOCABULARY_BY_LETTER.get(word[0], ())) is None:
            return word
        hit = closest(_VOCABULARY)
        # "internal" is not a typo of "intern", nor "control" of "controller": a word that contains the
        # candidate, or starts it, is another word. Typos rarely change the first letter
        # ("power" is no "owner").
        if hit and hit[0] not in word and word not in hit[0] and hit[0][0] == word[0]:
            return hit[0]
    return word


# Titles that join two roles ("Partner & Head of Legal", "VP and General Counsel", "Owner / Operator"): the
# highest level any one role names wins, as the rubric's "highest level named" says. Commas are not role
# separators ("Assistant, Office of the President" is one role), nor are words joined inside a role's name
# when no role on either side names a level ("Research and Development Director").
_ROLE_SEPARATOR = re.compile(r"\s*(?:&|/|\||\+|\band\b)\s*", re.IGNORECASE)
_SEPARATOR_CHARS = frozenset("&/|+")


def _names_roles(title: str) -> bool:
    """Whether a title may join roles (a cheap test first: most titles have no separator)."""
    return not _SEPARATOR_CHARS.isdisjoint(title) or (
        ("and" in title or "AND" in title or "And" in title) and _ROLE_SEPARATOR.search(title) is not None)


# A role's level can differ from the whole title's only through the order of the rules (the whole title takes the
# first rule that fits: "Team Lead / Director" is a team lead first) or through the rules anchored at the start or
# end of a title ("^partner$", "head$", "^head", "principal$"): words every other rule would have found in the
# whole title too. So a title with no level, or already at c_level (only "partner" can still rise: to owner),
# and none of those words, needs no splitting (most titles, and cheaper).
_ANCHORED_WORDS = re.compile(r"\b(partner|head|principal)\b")


def _could_rise(text: str, level: str | None) -> bool:
    if level is None:
        return _ANCHORED_WORDS.search(text) is not None
    if level == "c_level":
        return "partner" in text
    return True


_RANK = {level: rank for rank, level in enumerate(SENIORITIES)}  # 0 is the highest


def _multi_role_level(title: str, text: str, level: str | None) -> str | None:
    """The highest level among the roles of a title that joins several; `level` when it names one role, when
    an entry word settles it ("Junior Sales and Marketing Associate") or when a guard phrase read it whole."""
    if level in ("entry", "owner") or not _could_rise(text, level) or not _names_roles(title) or any(rx.search(text) for rx, _, _ in _GUARD_RX):
        return level
    levels = [found for p in normalise_roles(title) if (found := _seniority_by_rules(p)) is not None]
    if "entry" in levels:  # an entry word in any role settles it, as in the whole title
        return "entry"
    return min([*levels, *([level] if level else [])], key=_RANK.__getitem__, default=None)


@lru_cache(maxsize=65_536)
def classify_title(title: str | None) -> TitleClass:
    """Seniority and department of a job title (cached: purchased lists repeat titles a lot).

    Rules first; where no department rule fits, the O*NET lookup (an exact title of a known occupation), then
    the model above its confidence threshold; otherwise `other`, explained as unknown.
    """
    if not title or not title.strip():
        return TitleClass("", "", "")
    text = normalise_title(title)
    level, dept, why = _by_rules(text)
    method = "rule"
    if level is None or dept is None:
        repaired = _repair_typos(text)
        if repaired != text:
            fixed_level, fixed_dept, fixed_why = _by_rules(repaired)
            if (level is None and fixed_level) or (dept is None and fixed_dept):
                if dept is None and fixed_dept:
                    why = f"{fixed_why} (typo repaired: {repaired})"
                level, dept, method = level or fixed_level, dept or fixed_dept, "fuzzy"
    level = _multi_role_level(title, text, level)
    if level is None and dept is None:
        method = "default"
    level = level or DEFAULT_SENIORITY
    if dept is not None:
        return TitleClass(level, dept, method, method, None, why)
    if generic_title(text):
        return TitleClass(level, DEFAULT_DEPARTMENT, method, "rule", None,
                          "names a level and a role but no function")
    hit = title_lookup(text)
    if hit is not None:
        return TitleClass(level, hit.department, method, "lookup", None, f"{hit.origin} {hit.soc_code} {hit.title!r}")
    if trade := trade_words(text):
        return TitleClass(level, DEFAULT_DEPARTMENT, method, "rule", None,
                          f"{trade} (a trade or teaching title: its business words name no department)")
    guess = title_guess(text)
    if guess.confidence >= guess.threshold:
        return TitleClass(level, guess.department, method, "model", guess.confidence,
                          "title model (O*NET, ESCO and NOC titles; character and word n-grams), "
                          f"threshold {guess.threshold:.2f}")
    return TitleClass(level, DEFAULT_DEPARTMENT, method, "unknown", guess.confidence,
                      f"best guess {guess.department} below the threshold {guess.threshold:.2f}")


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
