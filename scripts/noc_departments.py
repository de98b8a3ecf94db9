"""The documented NOC 2021 unit group -> department mapping (the rubric's department for Canada's occupation titles).

Used to label the NOC evaluation sets (tests/data/title_eval/noc_*.csv, drawn by scripts/build_noc_title_eval.py).
Keys are NOC 2021 codes or their prefixes ("11100" a unit group, "3" a broad category); the longest matching key
wins. Written from the unit groups' names and their example titles and the rubric (docs/title-classification.md,
tests/data/job_titles.README.md) before any classifier ran on a NOC title; it follows scripts/onet_departments.py
and scripts/isco_departments.py wherever NOC has an O*NET-SOC or ISCO-08 analogue (named in the comments).

The principle is theirs: a department is a *business function of a company*; people who do an industry's own
craft or profession (nurses, teachers, cooks, welders, drivers, scientists, artists) are `other`, while the
supervisors, planners and clerks of production, logistics and facilities are `operations`.

NOC has no level below the unit group, so a unit group whose example titles belong to two or more departments
cannot be split by code. Those groups map to MIXED and are left out of the draw (listed with the reason), rather
than labelled by the words of single titles.
"""

from __future__ import annotations

MIXED = "mixed"

DEPARTMENT_BY_NOC: dict[str, str] = {
    # 0 Legislative and senior management
    "00010": "other", "00011": "other",  # legislators, senior government officials (11-1031, ISCO 1111/1112)
    # senior managers of companies: chairs and CEOs, but also each function's chief (CFO, chief learning officer,
    # vice-presidents of marketing, ...) under the same code
    "00012": MIXED, "00013": MIXED, "00014": MIXED, "00015": MIXED,
    # 1 Business, finance and administration
    "10010": "finance", "10011": "hr", "10012": "operations",  # 11-3031, 11-3121, 11-3061 (procurement)
    "10019": MIXED,  # administrative services, records, court registrars, admissions, non-profit business managers
    "10020": MIXED,  # insurance and brokerage managers: sales managers (11-2022) beside claims and trading managers
    "10021": "finance",  # banking, credit and investment managers (11-3031.01, ISCO 1346)
    "10022": "marketing",  # advertising, marketing and public relations managers (11-2011, 11-2021, 11-2032)
    "10029": MIXED,  # other business services managers: accounting, legal, call centre, employment agency firms
    "10030": "it",  # telecommunication carriers managers (ISCO 1330 ICT service managers)
    "11100": "finance", "11101": "finance", "11102": "finance",  # accountants, analysts, advisors (13-2)
    "11103": "sales",  # securities agents and brokers (41-3031, ISCO 3311)
    "11109": "finance",  # other financial officers (13-2)
    "11200": "hr",  # human resources professionals (13-1071, 13-1141, 13-1151)
    "11201": "operations",  # management consultants and analysts (13-1111)
    "11202": "marketing",  # advertising, marketing and public relations professionals (13-1161, 27-3031)
    "12010": "operations",  # supervisors, general office workers (43-1011)
    "12011": "finance",  # supervisors, finance and insurance office workers: their clerks are finance (43-3)
    "12012": MIXED,  # library, census, court, customs, advertising clerks' supervisors
    "12013": "operations",  # supply chain, tracking and scheduling supervisors (53-1, 43-5)
    "12100": "operations",  # executive assistants (43-6011, ISCO 3343)
    "12101": "hr",  # human resources and recruitment officers (13-1071)
    "12102": "operations",  # procurement and purchasing agents (13-1023: the rubric's procurement)
    "12103": "marketing",  # conference and event planners (13-1121, ISCO 3332)
    "12104": MIXED,  # employment insurance officers (government benefits) beside tax officers (13-2081 finance)
    "12110": MIXED,  # court reporters (23-2091 legal) beside medical transcriptionists and braille (other)
    "12111": "other",  # health information management (29-2072)
    "12112": "operations",  # records management technicians (43-4071 file clerks)
    "12113": "other",  # statistical officers and research support (43-9111, ISCO 3314)
    "12200": "finance", "12201": "finance", "12202": "finance", "12203": "finance",  # bookkeepers, claims,
    # underwriters, valuers (43-3031, 13-1031, 13-2053, 13-2020)
    "13100": "operations",  # administrative officers (43-6011, 13-1199)
    "13101": "other",  # property administrators (11-9141 property managers, ISCO 3334.5: other)
    "13102": "finance",  # payroll administrators (43-3051 payroll clerks: 43-3 finance)
    "13110": "operations",  # administrative assistants (43-6014)
    "13111": "legal",  # legal administrative assistants (43-6012)
    "13112": "other",  # medical administrative assistants (43-6013)
    "13200": "operations",  # customs, ship and other brokers (13-1041.08, ISCO 3331)
    "13201": "operations",  # production and transportation logistics coordinators (13-1081, 43-5061)
    "14100": "operations",  # general office support workers (43-9061)
    "14101": "operations",  # receptionists (43-4171)
    "14102": "hr",  # personnel clerks (43-4161)
    "14103": "legal",  # court clerks (43-4031)
    "14110": "other",  # survey interviewers and statistical clerks (43-4111, 43-9111)
    "14111": "operations",  # data entry clerks (43-9021)
    "14112": "marketing",  # desktop publishing operators (43-9031)
    "14200": "finance", "14201": "finance", "14202": "finance",  # accounting, financial and collection clerks (43-3)
    "14300": "other",  # library assistants and clerks (43-4121)
    "14301": "operations",  # correspondence, publication and regulatory clerks (43-9)
    "14400": "operations", "14401": "operations", "14402": "operations", "14403": "operations",
    "14404": "operations", "14405": "operations",  # shippers, storekeepers, dispatchers, schedulers (43-5)
    # 2 Natural and applied sciences
    "20010": "engineering",  # engineering managers (11-9041)
    "20011": "other",  # architecture and science managers (11-9121)
    "20012": "it",  # computer and information systems managers (11-3021)
    "21": "other",  # physical and life sciences, architecture, planning, surveying (19-, 17-1)
    "21120": "operations",  # public and environmental health and safety professionals (19-5011, ISCO 2263)
    "21210": MIXED,  # actuaries (finance) beside statisticians (engineering) and mathematicians (other)
    "21211": "engineering",  # data scientists (15-2051)
    "21220": "it",  # cybersecurity specialists (15-1212)
    "21221": "it", "21222": "it",  # business systems and information systems specialists (15-1211, ISCO 2511)
    "21223": MIXED,  # database administrators (15-1242 it) beside database developers and architects (engineering)
    "2123": "engineering",  # computer systems developers, software engineers, developers (15-1251..1254)
    "21233": "product",  # web designers (15-1255)
    "213": "engineering",  # professional engineers (17-2)
    "22": "other",  # technical occupations in the sciences (19-4)
    "22211": "product",  # industrial designers (27-1021)
    "22212": "engineering",  # drafting technologists (17-3011..3019)
    "22214": MIXED,  # GIS and cartography (engineering) beside meteorology and avalanche observers (other)
    "22220": "it", "22221": "it",  # network and web technicians, user support (15-1231, 15-1232)
    "22222": "engineering",  # information systems testing (15-1253 software quality assurance)
    "22230": "operations",  # non-destructive testers and inspectors (51-9061 inspectors and testers)
    "22231": "other",  # engineering inspectors and regulatory officers (public inspectors, 13-1041.04: other)
    "22232": "operations",  # occupational health and safety specialists (19-5011)
    "22233": "other",  # construction inspectors (47-4011)
    "223": "engineering",  # engineering technologists and technicians (17-3)
    "22303": "operations",  # construction estimators (13-1051 cost estimators)
    "22311": "other", "22312": "other", "22313": "other",  # equipment, instrument and avionics repairers (49-)
    # 3 Health
    "3": "other",
    # 4 Education, law and social, community and government services
    "4": "other",
    "41100": "legal", "41101": "legal",  # judges, lawyers and Quebec notaries (23-)
    "41400": "other", "41401": "other",  # science and economic policy (19-3011 economists)
    "41402": MIXED,  # economic development officers (government: other) beside market research analysts (13-1161)
    "42200": "legal",  # paralegals (23-2011)
    # 5 Art, culture, recreation and sport
    "5": "other",
    "51112": "engineering",  # technical writers (27-3042)
    "52120": MIXED,  # graphic designers (27-1024 marketing) beside illustrators and animators (27-1014 other)
    # 6 Sales and service
    "6": "other",
    "60010": "sales",  # corporate sales managers (11-2022)
    "60020": "sales",  # retail and wholesale trade managers (ISCO 1420; 41-1011/1012)
    "62010": "sales",  # retail sales supervisors (41-1011)
    "62023": MIXED,  # call centre supervisors (support) beside bank tellers' and savings supervisors (finance)
    "62100": "sales",  # technical sales specialists, wholesale (41-4011)
    "62101": "operations",  # retail and wholesale buyers (13-1022)
    "63100": "sales", "63101": "sales", "63102": "sales",  # insurance, real estate, financial sales (41-3, 41-9022)
    "64100": "sales",  # retail salespersons and visual merchandisers (41-2031; the merchandisers are a minority)
    "64101": "sales",  # sales and account representatives, wholesale (41-4012)
    "64310": "sales",  # travel counsellors (41-3041, ISCO 4221.8)
    "64400": "finance",  # customer service representatives of financial institutions: tellers (43-3071)
    "64409": "support",  # other customer and information services representatives (43-4051)
    "65100": "sales",  # cashiers (41-2011)
    "65102": "operations",  # store shelf stockers, clerks and order fillers (53-7065)
    "65109": "sales",  # door-to-door sellers, demonstrators, canvassers (41-9091, 41-9011)
    # 7 Trades, transport and equipment operators
    "7": "other",
    "70012": "operations",  # facility operation and maintenance managers (11-3013)
    "70020": "operations", "70021": "operations",  # transportation, postal and courier managers (11-3071)
    "72020": "operations",  # supervisors, mechanic trades (49-1011)
    "72022": "operations",  # supervisors, printing (51-1011)
    "72023": "operations", "72024": "operations", "72025": "operations",  # transport, mail supervisors (53-1)
    "73201": "operations",  # general building maintenance workers (49-9071)
    "74100": "operations", "74101": "operations", "74102": "operations",  # mail sorters, carriers, couriers (43-5)
    "75100": "operations", "75101": "operations",  # longshore workers, material handlers (53-7062, ISCO 9333)
    # 8 Natural resources, agriculture and related production
    "8": "other",
    # 9 Manufacturing and utilities
    "9": "other",
    "90010": "operations",  # manufacturing managers (11-3051)
    "920": "operations",  # supervisors, processing and manufacturing (51-1011, ISCO 3122)
    "94104": "operations", "94123": "operations", "94133": "operations", "94143": "operations",
    # inspectors, testers and graders (51-9061, ISCO 7543); the assemblers' groups that also inspect stay other
}


def department_for_noc(code: str) -> str:
    """The department of a NOC 2021 unit group ("21231"), or MIXED: the value of its longest matching key."""
    for end in range(len(code), 0, -1):
        found = DEPARTMENT_BY_NOC.get(code[:end])
        if found is not None:
            return found
    raise KeyError(f"no department for NOC 2021 code {code!r}")
