"""The documented ANZSCO occupation -> department mapping (the rubric's department for Australian and New Zealand
occupation titles).

Used to label the ANZSCO evaluation sets (tests/data/title_eval/anzsco_*.csv, drawn by
scripts/build_anzsco_title_eval.py). Keys are ANZSCO Version 1.2 codes or their prefixes ("225113" an occupation,
"2251" a unit group, "6" a major group); the longest matching key wins. Written from the occupations' names and
the titles the ABS index lists under them, and the rubric (docs/title-classification.md,
tests/data/job_titles.README.md), before any classifier ran on an ANZSCO title; it follows
scripts/onet_departments.py, scripts/isco_departments.py and scripts/noc_departments.py wherever ANZSCO has an
O*NET-SOC, ISCO-08 or NOC analogue (named in the comments).

The principle is theirs: a department is a *business function of a company*; people who do an industry's own craft
or profession (nurses, teachers, cooks, welders, drivers, scientists, artists) are `other`, while the supervisors,
planners and clerks of production, logistics and facilities are `operations`.

An occupation whose listed titles belong to two or more departments (Sales and Marketing Manager with Business
Development Manager and Market Research Manager; Marketing Specialist with Product Manager) maps to MIXED and is
left out of the draw, rather than labelled title by title.
"""

from __future__ import annotations

MIXED = "mixed"

DEPARTMENT_BY_ANZSCO: dict[str, str] = {
    # 1 Managers ---------------------------------------------------------------------------------------------------
    "1": "other",
    "111111": "executive",  # chief executive or managing director (11-1011, ISCO 1120)
    "111211": MIXED,  # corporate general manager: chief operating officer beside hospital administrator, managing
    # editor, trade union secretary, assistant police commissioner
    "1112": "other", "1113": "other",  # defence force senior officers, legislators (ISCO 0110, 1111)
    "131112": MIXED,  # sales and marketing manager: business development (sales) beside market research (marketing)
    "131113": "marketing", "131114": "marketing",  # advertising, public relations managers (11-2011, 11-2032)
    "132111": "operations",  # corporate services / administration manager (11-3012)
    "132211": "finance",  # finance manager, CFO, financial controller (11-3031)
    "132311": MIXED,  # human resource manager beside occupational health and safety manager (19-5011: operations)
    "132411": MIXED,  # policy and planning: public policy (other) beside corporate, strategic planning (operations)
    "132511": "engineering",  # research and development manager (11-9041, ISCO 1223)
    "1331": "other",  # construction project managers, project builders (11-9021, ISCO 1323)
    "133211": "engineering",  # engineering manager (11-9041)
    "133311": "sales", "133312": "sales",  # importer or exporter, wholesaler (ISCO 1420 / 3324 trade: sales)
    "133411": "operations",  # manufacturer (11-3051 industrial production managers, ISCO 1321)
    "133511": "other",  # production manager (forestry) (11-9013, ISCO 1311)
    "133512": "operations",  # production manager (manufacturing), plant manager (11-3051)
    "133513": "other",  # production manager (mining), quarry manager (ISCO 1322)
    "133611": "operations",  # supply and distribution, logistics, supply chain manager, the forces' logistics and
    # supply officers (11-3071: logistics is operations wherever it is done)
    "133612": "operations",  # procurement manager (11-3061)
    "134": "other",  # child care, health, welfare and education managers (11-9031, 11-9111)
    "135111": MIXED,  # chief information officer (it) beside chief technology officer (the rubric: engineering)
    "135112": "it", "135199": "it",  # ICT project manager, IT service delivery manager, network manager (11-3021)
    "139": "other",  # commissioned officers, arts, sports, laboratory managers (ISCO 0110, 1349)
    "139912": "operations",  # environmental manager (ISCO 1349.13 environmental protection manager)
    "139914": "operations",  # quality assurance manager (ISCO 1219: quality managers)
    "139999": MIXED,  # specialist managers nec: security manager (11-3013.01) beside ambassador, bishop, harbour master
    "141": "other",  # hospitality and accommodation managers (11-9051, 11-9081)
    "142111": "sales",  # retail manager, shop manager (ISCO 1420; 41-1011)
    "142112": "sales",  # antique dealer (ISCO 1420 retail trade)
    "142115": "operations",  # post office manager (NOC 70020 postal managers)
    "142116": "sales",  # travel agency manager (ISCO 1439.8)
    "149211": "support", "149212": "support",  # call centre, customer service managers (ISCO 1439.1, 43-4051)
    "149311": "marketing",  # conference and event organiser (13-1121)
    "1494": "operations",  # fleet, railway station, transport company managers (11-3071)
    "149913": "operations",  # facilities manager, building manager (11-3013)
    "149914": "finance",  # financial institution branch manager (11-3031.02, ISCO 1346)
    # 2 Professionals ----------------------------------------------------------------------------------------------
    "2": "other",
    "212411": "marketing",  # copywriter (27-3043.05 copy writers; ISCO 2641 with advertising copy)
    "212415": "engineering",  # technical writer (27-3042)
    "221": "finance",  # accountants, auditors, corporate treasurers (13-2011, 13-2051)
    "221211": MIXED,  # company secretary: governance and filings, legal or finance by company
    "2221": "sales",  # commodities, finance, insurance brokers (41-3031, 41-3021, ISCO 3311)
    "222111": MIXED,  # commodities trader beside media buyer (13-1161 marketing) and grain, wool, livestock buyers
    "2222": "sales",  # financial market, futures and stockbroking dealers (41-3031, ISCO 3311)
    "222299": MIXED,  # financial dealers nec: only the equities analyst (13-2051 finance) is listed
    "2223": "finance",  # financial investment advisers and managers (13-2052, 13-2051)
    "223111": "hr",  # human resource adviser, personnel officer (13-1071)
    "223112": MIXED,  # recruitment consultant beside casting and literary agents (13-1011: other)
    "223113": MIXED,  # workplace relations adviser (hr) beside trade union official, union organiser (other)
    "2232": "hr", "2233": "hr",  # ICT trainer, training and development professional (13-1151, ISCO 2424)
    "224111": "finance",  # actuary (15-2011)
    "224112": MIXED,  # mathematician (15-2021 other) beside operations research analyst (15-2031 operations)
    "224113": MIXED,  # statistician, biometrician (15-2041 engineering) beside demographer, epidemiologist (other)
    "224214": MIXED,  # records manager (operations) beside freedom of information officer (public service: other)
    "224512": "finance",  # valuer (13-2020, ISCO 3315)
    "2247": "operations",  # management consultant, business analyst, organisation and methods analyst (13-1111)
    "224914": "legal",  # patents examiner (ISCO 2149.13 patent engineer: patents are legal)
    "224999": MIXED,  # information professionals nec: procurement specialist, knowledge manager, lobbyist, ...
    "2251": "marketing",  # advertising, market research professionals (13-1161, ISCO 2431)
    "225113": MIXED,  # marketing specialist beside product manager (the rubric: product) and category manager
    "2252": "sales",  # ICT account managers, business development managers, sales representatives (41-4011)
    "2253": "marketing",  # public relations professionals (27-3031)
    "2254": "sales",  # technical sales representatives (41-4011, ISCO 2433)
    "232212": "other",  # surveyor (17-1022)
    "232213": "engineering", "232214": "engineering",  # cartographer, spatial scientist (17-1021, ISCO 2165.3)
    "232312": "product",  # industrial designer (27-1021, ISCO 2163.1)
    "232411": "marketing",  # graphic designer (27-1024, ISCO 2166.9)
    "232413": MIXED,  # multimedia / digital media designer (product) beside instructional designer (other)
    "232414": "product",  # web designer (15-1255, NOC 21233)
    "233": "engineering",  # engineering professionals (17-2)
    "233213": "operations",  # quantity surveyor, building economist (13-1051, ISCO 2149.14)
    "2513": "operations",  # environmental and occupational health and safety (19-5011, ISCO 2263, NOC 21120)
    "2611": "it",  # ICT business and systems analysts (15-1211, ISCO 2511)
    "2612": "engineering", "2613": "engineering",  # multimedia and web developers, programmers (15-1251..1254)
    "2621": "it",  # database and systems administrators, ICT security (15-1242, 15-1244, 15-1212)
    "2631": "it",  # computer network professionals (15-1241, 15-1244)
    "263211": MIXED,  # ICT quality assurance engineer (15-1253 engineering) beside systems auditor (ISCO 2519.2 it)
    "263212": "it",  # ICT support engineer (15-1232)
    "263213": "engineering",  # ICT systems test engineer (15-1253)
    "263299": MIXED,  # ICT support and test engineers nec: only the usability architect (product) is listed
    "2633": "engineering",  # telecommunications engineers (17-2072, ISCO 2153)
    "271": "legal",  # barristers, solicitors, judges, IP lawyers (23-)
    # 3 Technicians and trades workers ---------------------------------------------------------------------------
    "3": "other",
    "312111": "engineering",  # architectural draftsperson (17-3011)
    "312114": "operations",  # construction estimator (13-1051, NOC 22303)
    "312116": "engineering",  # surveying or spatial science technician, GIS technician (ISCO 2165.3, 17-3031)
    "312199": "engineering",  # roof truss and structural steel detailers (17-3013 drafters)
    "3122": "engineering", "3123": "engineering", "3124": "engineering", "3125": "engineering",  # 17-3
    "3126": "operations",  # safety inspector (19-5012, ISCO 3257.5)
    "312911": "operations",  # maintenance planner, shutdown planner (43-5061 production planning)
    "312912": MIXED,  # materials technician (17-3029 engineering) beside non-destructive testers (NOC 22230 ops)
    "312999": MIXED,  # draftspersons (engineering) beside the air force's aircraft and avionics technicians
    "3131": "it",  # hardware, help desk, web administrators (15-1232, ISCO 3512-3514)
    "3132": "engineering",  # telecommunications technical specialists (17-3023, ISCO 3522)
    # 4 Community and personal service workers --------------------------------------------------------------------
    "4": "other",
    "451612": "sales",  # travel consultant, travel agent (41-3041)
    # 5 Clerical and administrative workers: by the function the clerk serves (43-xxxx, ISCO 4) --------------------
    "5": "operations",
    "512211": "other",  # health practice manager (11-9111)
    "512299": MIXED,  # accounting, architectural, legal and veterinary practice managers
    "521212": "legal",  # legal secretary (43-6012)
    "532112": MIXED,  # court reporter (23-2091 legal) beside braille transcriber, stenocaptioner (other)
    "5411": "support",  # call or contact centre team leaders and operators (43-4051, ISCO 4222)
    "5412": "support",  # information officer (ISCO 4225 enquiry clerks)
    "542112": "other", "542113": "other", "542114": "other",  # admissions, hotel, medical receptionists (ISCO 4224,
    # 43-6013)
    "551": "finance",  # accounts clerks, bookkeepers, payroll clerks (43-3031, 43-3051)
    "552": "finance",  # bank workers, loans officers, insurance and money market clerks (43-3071, 43-9041)
    "552311": "other",  # bookmaker (39-3011, ISCO 4212)
    "552314": MIXED,  # statistical clerk (43-9111 other) beside actuarial clerk (finance)
    "5611": "other",  # betting clerks (ISCO 4212)
    "561511": "other",  # survey interviewer (43-4111)
    "561911": MIXED,  # classified advertising clerk: ad sales order-taking (NOC 12012 lists it with mixed clerks)
    "561912": "other", "561913": "other",  # meter reader (ISCO 9623), parking inspector (33-: other)
    "561999": MIXED,  # clerical workers nec: cash processor, media monitor
    "591117": MIXED,  # order clerk beside internal salesperson (41-: sales)
    "5991": "legal",  # conveyancers, legal executives (23-2093, ISCO 3411)
    "599211": "legal", "599214": "legal",  # clerk of court, law clerk (43-4031, 23-2011)
    "599212": "other",  # court bailiff or sheriff (ISCO 3411.4: other)
    "599213": MIXED,  # court registry officer (43-4031 legal) beside court usher, orderly (other)
    "599215": MIXED,  # trust officer: administers trusts and estates (legal or finance by employer)
    "599311": "finance",  # debt collector (43-3011, ISCO 4214)
    "599411": "hr",  # human resources clerk (43-4161)
    "5995": "other",  # customs, immigration, biosecurity, transport inspectors (33-, 13-1041: other)
    "599513": "legal",  # motor vehicle licence examiner (ISCO 3354 licensing officials)
    "599516": "finance",  # taxation inspector (13-2081, ISCO 3352)
    "5996": "finance",  # insurance investigators, loss adjusters, risk surveyors (13-1031, ISCO 3315)
    "5997": "other",  # library assistants (43-4121)
    "599912": "other", "599913": "other", "599915": "other",  # production assistant (film), proof reader (43-9081),
    # clinical coder (health information, 29-2072)
    "599914": MIXED,  # radio despatcher: emergency services (43-5031 other) or freight and taxi (43-5032 ops)
    "599999": MIXED,  # clerical workers nec: coding clerk, examination supervisor, train planner, travel clerk
    # 6 Sales workers: 41-xxxx --------------------------------------------------------------------------------------
    "6": "sales",
    "611211": MIXED,  # insurance agent (41-3021 sales) beside insurance underwriter (13-2053 finance)
    "612112": "other",  # property manager, body corporate manager (11-9141, ISCO 3334.5)
    "621611": "other",  # service station attendant (ISCO 5245)
    "621911": "other",  # materials recycler, scrap buyer, automotive dismantler
    "621999": MIXED,  # salespersons nec: carpet measurer, lotteries agent, pool salesperson
    "639111": "other",  # model (41-9012: other)
    "639112": MIXED,  # sales demonstrator (41-9011) beside merchandiser (ISCO 3432.2 marketing)
    "6392": "operations",  # retail and wool buyers, merchandise planner (13-1022)
    "6394": "other",  # ticket sellers, reservations clerks, conductors (43-4181, ISCO 5230.3)
    "639511": "marketing",  # visual merchandiser, window dresser (27-1026, ISCO 3432.6)
    "639911": MIXED,  # other sales support: mystery shopper beside personal shopper
    # 7 Machinery operators and drivers ----------------------------------------------------------------------------
    "7": "other",
    "7213": "operations",  # forklift drivers (53-7051, ISCO 8344)
    "7411": "operations",  # storepersons, warehouse assistants, order pickers (53-7062, ISCO 4321/9334)
    # 8 Labourers ---------------------------------------------------------------------------------------------------
    "8": "other",
    "8321": "operations",  # packers (53-7064, ISCO 9321)
    "8393": "operations",  # product examiners, graders, testers (51-9061, ISCO 7543)
    "8911": "operations", "8912": "operations",  # freight handlers, shelf fillers (53-7062, ISCO 9333/9334)
}


def department_for_anzsco(code: str) -> str:
    """The department of an ANZSCO occupation ("225113"), or MIXED: the value of its longest matching key."""
    for end in range(len(code), 0, -1):
        found = DEPARTMENT_BY_ANZSCO.get(code[:end])
        if found is not None:
            return found
    raise KeyError(f"no department for ANZSCO code {code!r}")
