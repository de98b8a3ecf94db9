"""The documented ISCO-08 / ESCO occupation -> department mapping (the rubric's department for every ESCO occupation).

Used to label the ESCO evaluation sets (tests/data/title_eval/esco_*.csv, drawn by scripts/build_esco_title_eval.py).
Keys are ISCO-08 groups ("2411", a unit group; "7", a major group) or ESCO occupation codes ("1221.3.2.1": the
ISCO unit group, then ESCO's own levels). Longest matching key wins, whole code segments only: "1221.3" covers
"1221.3.1" and "1221.3.2.1.4", never "1221.30". Written from the ISCO-08 group names, the ESCO occupations' preferred
labels and descriptions and the rubric (docs/title-classification.md, tests/data/job_titles.README.md) before any
classifier ran on an ESCO title; it follows scripts/onet_departments.py wherever ISCO has an O*NET-SOC analogue
(named in the comments), and the rubric's own examples where they are explicit (COO -> operations, CTO ->
engineering, customer success -> support, UX -> product).

The principle is the O*NET mapping's: a department is a *business function of a company*; people who do an
industry's own craft or profession (nurses, teachers, cooks, welders, drivers, scientists, artists) are `other`,
while the supervisors, planners and clerks of production, logistics and facilities are `operations`.
Where one ISCO unit group holds occupations of two departments, the split is made here by ESCO occupation code
(every occupation below that code follows it), never by the words of a single title.
"""

from __future__ import annotations

DEPARTMENT_BY_ISCO: dict[str, str] = {
    # 0 Armed forces
    "0": "other",
    # 1 Managers -------------------------------------------------------------------------------------------------
    "1111": "other", "1112": "other", "1114": "other",  # legislators, senior government officials (11-1031: other)
    "1120": "executive",  # managing directors and chief executives (11-1011)
    "1120.4": "operations",  # chief operating officer: the rubric's COO is operations
    "1120.5": "other",  # public employment service manager: public service line management (11-9151: other)
    "1211": "finance",  # finance managers (11-3031)
    "1212": "hr",  # human resource managers (11-3121)
    # 1213 policy and planning managers: planning, programme and business managers as 11-1021 (operations); public
    # policy and public funds are no company function (other); compliance is legal (11-9199.02).
    "1213": "operations",
    "1213.1": "legal",  # director of compliance and information security in gambling
    "1213.2": "other", "1213.2.1": "other", "1213.2.3": "other",  # policy manager, social security, tourism policy
    "1213.2.2": "operations",  # strategic planning manager
    "1213.6": "other",  # EU funds manager
    # 1219 business services and administration managers n.e.c.: facilities, projects, quality, plants (11-3012/3013,
    # 11-3051: operations)
    "1219": "operations",
    "1219.3": "other",  # defence administration officer (armed forces administration)
    # 1221 sales and marketing managers: sales (11-2022) unless the occupation is marketing (11-2021) or product
    # management (the rubric's `product`)
    "1221": "sales",  # auction house manager, commercial director, sales manager and its children
    "1221.2": "product",  # banking products manager: develops and adapts the bank's products
    "1221.3": "marketing",  # chief marketing officer
    "1221.3.1": "marketing", "1221.3.2": "marketing", "1221.3.3": "marketing",  # destination, marketing, promotion
    "1221.3.2.1": "sales",  # sales manager (category, licensing, aftersales, online sales channel managers below it)
    "1221.5": "marketing",  # digital marketing manager
    "1221.6": "product",  # tourism product manager
    "1222": "marketing",  # advertising and public relations managers (11-2011, 11-2032)
    # 1223 research and development managers: company R&D is engineering (11-9041), product development and product
    # managers are product, science laboratories are other (11-9121 natural sciences managers)
    "1223": "engineering",
    "1223.1": "product",  # product manager, insurance product manager
    "1223.2.1": "product",  # product development manager (clothing, footwear, games, leather goods)
    "1223.2.2": "other",  # research manager (head of laboratory)
    "1223.2.2.1": "engineering",  # ICT research manager
    "1311": "other", "1312": "other",  # agriculture, aquaculture and fisheries production managers (11-9013: other)
    "1321": "operations",  # manufacturing managers (11-3051)
    "1322": "other", "1323": "other",  # mining and construction managers (11-9021, 47-1011: other)
    "1324": "operations",  # supply, distribution and related managers (11-3071, 11-3061)
    "1324.5": "sales",  # movie distributor: oversees the sale of films to cinemas and on media
    "1330": "it",  # ICT service managers (11-3021)
    "1330.1": "engineering",  # chief data officer (data is engineering by the rubric)
    "1330.1.1": "it",  # ICT information and knowledge manager
    "1330.3": "engineering",  # chief technology officer: the rubric's CTO is engineering
    "1330.6": "product",  # ICT product manager
    "1341": "other", "1342": "other", "1343": "other", "1344": "other", "1345": "other",  # care, health, schools
    "1346": "finance",  # financial and insurance services branch managers (11-3031.02)
    "1349": "other",  # professional services managers n.e.c.: museums, libraries, fire, prisons, aviation, arts
    "1349.10": "legal",  # court administrator
    "1349.11": "it",  # document management officer (15-1299.03 document management specialists: it)
    "1349.12": "operations", "1349.13": "operations",  # energy manager, environmental protection manager
    "1349.21.1": "legal",  # legal service manager
    "1411": "other", "1412": "other",  # hotel and restaurant managers (11-9081, 11-9051: other)
    "1420": "sales",  # retail and wholesale trade managers (41-1011/1012 supervisors of sales workers)
    "1431": "other",
    "1439": "other",  # services managers n.e.c.: camping, garages, laundries, tourism
    "1439.1": "support", "1439.3": "support",  # call centre manager, contact centre manager
    "1439.8": "sales",  # travel agency manager (41-3041 travel agents: sales)
    # 2 Professionals --------------------------------------------------------------------------------------------
    "21": "other",  # science (19-xxxx: other)
    "2120": "other",  # mathematicians, demographers (15-2021: other)
    "2120.1": "finance",  # actuarial consultant (15-2011)
    "2120.3": "engineering", "2120.4": "engineering",  # gambling games developer, gambling QA engineer
    "2120.6": "engineering",  # statistician, biometrician (15-2041)
    "214": "engineering", "215": "engineering",  # engineering professionals (17-2xxx)
    "2149.2.6": "operations",  # logistics engineer (13-1081.01 logistics engineers: operations)
    "2149.13": "legal",  # patent engineer: advises on the patentability of inventions (23-: legal)
    "2149.14": "operations",  # quantity surveyor (13-1051 cost estimators)
    "216": "other",  # architects, planners, surveyors (17-1011, 17-1022, 19-3051: other)
    "2163": "other",  # fashion, costume, jewellery, textile designers (27-1022: other)
    "2163.1": "product", "2163.1.1": "product", "2163.1.4": "product",  # industrial, automotive, furniture designer
    "2163.2": "product", "2163.4": "product",  # leather goods and textile product developers (27-1021)
    "2163.1.2": "other", "2163.1.3": "other", "2163.1.5": "other", "2163.1.6": "other", "2163.1.7": "other",
    "2163.1.8": "other",
    "2165.2": "engineering", "2165.3": "engineering",  # cartographer (17-1021), GIS specialist (15-1299.02)
    "2166": "other",  # animators, illustrators, digital artists (27-1014: other)
    "2166.4": "marketing", "2166.9": "marketing",  # desktop publisher (43-9031), graphic designer (27-1024)
    "2166.6": "engineering", "2166.8": "engineering",  # digital / gambling games designer (15-1255.01)
    "2166.7": "product",  # digital media designer (15-1255 web and digital interface designers)
    "22": "other", "23": "other",  # health, teaching
    "2263": "operations",  # environmental and occupational health and hygiene professionals (19-5011)
    "2411": "finance", "2412": "finance", "2413": "finance",  # accountants, financial advisers and analysts
    "2421": "operations",  # management and organisation analysts (13-1111, 13-1081, 13-1051)
    "2422": "other",  # policy administration professionals: government policy officers
    "2422.14": "operations", "2422.15": "operations",  # procurement category specialist, public procurement specialist
    "2423": "hr",  # personnel and careers professionals (13-1071, 13-1075)
    "2423.1": "other", "2423.2": "other",  # career guidance, vocational integration (21-1012, 21-1015: other)
    "2424": "hr",  # training and staff development (13-1151)
    "2431": "marketing",  # advertising and marketing professionals (13-1161)
    "2431.5": "sales",  # business developer (the rubric: business development is sales)
    "2431.6": "support", "2431.8": "support",  # client relations, customer experience manager (customer success)
    "2431.15": "product",  # product and services manager (defines the catalogue / portfolio)
    "2432": "marketing",  # public relations professionals (27-3031)
    "2432.1": "other", "2432.2": "other", "2432.3": "other", "2432.4": "other", "2432.6": "other", "2432.7": "other",
    # activism, elections, fundraising (11-2033, 13-1131: other), intercultural consultants, political campaigns
    "2433": "sales", "2434": "sales",  # technical and ICT sales professionals (41-4011, 41-9031)
    "2433.1": "support",  # after-sales service technician: after-sales customer service
    # 25 ICT professionals: engineering builds software and data, it runs the company's systems (15-12xx analogues)
    "2511": "it",  # systems analysts (15-1211), ICT consultants, IT auditors
    "2511.1": "engineering", "2511.2": "engineering", "2511.3": "engineering", "2511.4": "engineering",
    "2511.5": "engineering", "2511.6": "engineering", "2511.11": "engineering", "2511.14": "engineering",
    "2511.15": "engineering", "2511.17": "engineering",
    # computer scientist (15-1221), computer vision, data analyst and scientist (15-2051), embedded systems,
    # enterprise and system architects (15-1299.08), intelligent systems, system developer, integration engineer
    "2511.19": "product",  # user experience analyst (the rubric: UX is product)
    "2512": "engineering", "2513": "engineering", "2514": "engineering", "2519": "engineering",  # 15-1251..1254
    "2513.2": "marketing",  # search engine optimisation expert (13-1161.01 search marketing strategists)
    "2513.3": "product",  # user interface designer (15-1255)
    "2513.4": "marketing",  # web content manager (the rubric: content is marketing)
    "2514.4": "other",  # numerical tool and process control programmer (51-9162 CNC programmers: other)
    "2519.2": "it", "2519.3": "it", "2519.4": "it",  # ICT audit, change and configuration, disaster recovery
    "2521": "engineering",  # database designers, developers, integrators (15-1243)
    "2521.1": "it",  # database administrator (15-1242)
    "2522": "it", "2523": "it", "2529": "it",  # systems administrators, networks, security (15-1244, 15-1241, 15-1212)
    "2529.3": "engineering", "2529.9": "engineering",  # embedded systems security engineer, knowledge engineer
    "2611": "legal", "2612": "legal", "2619": "legal",  # legal professionals (23-)
    "2619.2": "other",  # coroner (13-1041.06: other)
    "262": "other", "263": "other", "264": "other", "265": "other",  # archives, social science, writers, arts
    "2641.4.4": "engineering",  # technical communicator (27-3042 technical writers)
    # 3 Technicians and associate professionals ------------------------------------------------------------------
    "3": "other",
    "3111": "other",  # chemical and physical science technicians (19-4031: other)
    "3112": "engineering", "3113": "engineering", "3114": "engineering", "3115": "engineering",
    "3116": "engineering", "3117": "engineering", "3118": "engineering", "3119": "engineering",  # 17-3xxx
    "3119.3": "other", "3119.19": "other",  # aviation safety officer, utilities inspector (inspectors: other)
    "3119.5": "other",  # food technician (19-4013: other)
    "3119.10": "other",  # metal additive manufacturing operator (a machine operator)
    "3119.13": "legal",  # pipeline compliance coordinator (13-1041 compliance officers)
    "3122": "operations",  # manufacturing supervisors (51-1011); mining and construction supervisors stay other
    "3257": "other",  # environmental, food and waste inspectors (13-1041.01/.04: other)
    "3257.5": "operations", "3257.7": "operations",  # occupational health and safety inspectors (19-5012)
    "3257.5.1": "other",  # healthcare inspector
    "3311": "sales",  # brokers and traders (41-3031 securities, commodities and financial services sales agents)
    "3311.1": "finance",  # asset manager (13-2051)
    "3312": "finance", "3313": "finance",  # credit and loans officers (13-2072), accounting associates (43-3031)
    "3314.1": "finance",  # actuarial assistant; statistical assistant stays other (43-9111)
    "3315": "finance",  # valuers and loss assessors (13-2020, 13-1031)
    "3315.2": "other",  # gemmologist
    "3321": "sales",  # insurance representatives (41-3021)
    "3321.2": "finance", "3321.3": "finance",  # insurance risk consultant, insurance underwriter (13-2053)
    "3322": "sales",  # commercial sales representatives (41-4012)
    "3323": "operations",  # buyers (13-1021/1022/1023; the rubric: procurement is operations)
    "3324": "sales",  # trade brokers, wholesale merchants (41-4xxx)
    "3324.3": "operations",  # non-vessel operating common carrier (freight forwarding)
    "3331": "operations",  # clearing and forwarding agents (13-1041.08 customs brokers, 43-5011 freight agents)
    "3331.1": "other",  # customs and excise officer (33-3021.05: other)
    "3332": "marketing",  # conference and event planners (13-1121)
    "3333": "hr",  # employment agents (13-1071 recruiters)
    "3334": "sales",  # real estate agents (41-9021/9022)
    "3334.1": "other", "3334.5": "other",  # housing manager, real estate manager (11-9141 property managers: other)
    "3334.2.1": "legal",  # title closer (23-2093 title examiners)
    "3339": "sales",  # business services agents: advertising sales agent (41-3011), auctioneer, rights manager
    "3339.3": "legal",  # intellectual property consultant
    "3339.4": "marketing",  # promoter
    "3339.6": "hr",  # relocation officer (employee relocation)
    "3339.7": "other",  # talent agent (13-1011: other)
    "3339.8": "operations",  # tourism contract negotiator (purchases tourism services)
    "3341": "operations",  # office supervisors (43-1011)
    "3341.1": "support", "3341.2": "support", "3341.3": "support", "3341.4": "support",  # call/contact centre
    "3341.6": "other",  # field survey manager (survey interviewers: 43-4111, other)
    "3342": "legal",  # legal secretaries (43-6012), civil registrar (43-4031)
    "3343": "operations",  # administrative and executive secretaries (43-6011)
    "3343.1.1": "legal", "3343.5": "legal",  # court reporter (23-2091), scopist
    "3343.1.2": "other", "3343.1.3": "other", "3343.1.4": "other", "3343.2": "other",
    # education administrator, fundraising assistant, student exchange coordinator, editorial assistant
    "3352": "finance",  # government tax and excise officials (13-2081 tax examiners)
    "3354": "legal",  # government licensing officials (13-1041 licensing examiners, 43-4031 license clerks)
    "3411": "legal",  # legal and related associate professionals (23-2011, 43-4031)
    "3411.4": "other", "3411.6": "other", "3411.8": "other",  # bailiff, enforcement officer, detectives (33-: other)
    "3432.2": "marketing", "3432.6": "marketing",  # merchandiser, visual merchandiser (27-1026)
    "3511": "it", "3512": "it", "3513": "it", "3514": "it",  # ICT operations, user support, networks, web (15-123x)
    "3522": "engineering",  # telecommunications engineering technicians (17-3023)
    # 4 Clerical support workers: by the function the clerk serves (43-xxxx)
    "4": "operations",
    "4211": "finance", "4213": "finance", "4214": "finance",  # tellers, pawnbrokers, debt collectors (43-3xxx)
    "4212": "other",  # bookmakers, croupiers (39-3011: other)
    "4221": "other",  # ground stewards, hosts, ticket agents, tour operators (43-4181: other)
    "4221.7": "sales", "4221.8": "sales",  # travel agent, travel consultant (41-3041)
    "4222": "support", "4225": "support",  # contact centre information clerks, customer service representative
    "4224": "other", "4227": "other", "4229": "other",  # hotel receptionists, survey interviewers, concierge, tracing
    "431": "finance",  # numerical clerks (43-3xxx)
    "4321": "operations", "4322": "operations", "4323": "operations",  # stock, production, transport clerks
    "4411": "other", "4413": "other",  # library clerks (43-4121), coding and proof-reading (43-9081)
    "4416": "hr",  # personnel clerks (43-4161)
    # 5 Service and sales workers
    "5": "other",
    "52": "sales",  # sales workers (41-xxxx)
    "5230.3": "other",  # ticket issuing clerk (43-4181)
    "5241": "other", "5245": "other", "5246": "other",  # models (41-9012), service station, food counter attendants
    # 6-9 Agricultural, craft, plant and machine, elementary: other, but as in O*NET inspectors and testers, lift
    # truck operators and material handlers are operations
    "6": "other", "7": "other", "8": "other", "9": "other",
    "7543": "operations",  # product graders and testers (51-9061)
    "8344": "operations",  # lifting truck operators (53-7051)
    "9321": "operations", "9333": "operations", "9334": "operations",  # hand packers, freight handlers, shelf fillers
}


def department_for_isco(code: str) -> str:
    """The department of an ESCO occupation code ("1221.3.2.1") or ISCO-08 group ("2411"): longest key wins."""
    unit, _, rest = code.partition(".")
    parts = rest.split(".") if rest else []
    for n in range(len(parts), 0, -1):
        found = DEPARTMENT_BY_ISCO.get(".".join([unit, *parts[:n]]))
        if found is not None:
            return found
    for end in range(len(unit), 0, -1):
        found = DEPARTMENT_BY_ISCO.get(unit[:end])
        if found is not None:
            return found
    raise KeyError(f"no department for ISCO-08 / ESCO code {code!r}")
