"""The documented O*NET-SOC -> department mapping (the rubric's department for every occupation).

Used to label the frozen evaluation set (tests/data/title_eval/) and to build the O*NET lookup and model
(enrichment/data/). Longest matching prefix wins: an exact O*NET-SOC code ("13-1041.06"), a detailed SOC code
("41-9012"), a minor group ("13-2"), a major group ("41-"). The principle (docs/title-classification.md):
a department is a *business function of a company* (the rubric in tests/data/job_titles.README.md); people who do
an industry's own craft or profession (nurses, teachers, cooks, welders, drivers, scientists) are `other`,
while the supervisors, planners and clerks of production, logistics and facilities are `operations`.
"""

from __future__ import annotations

DEPARTMENT_BY_SOC_PREFIX: dict[str, str] = {
    # 11 Management: by the function managed; industry line management (farms, schools, hospitals, ...) is other.
    "11-": "other",
    "11-1011": "executive", "11-1011.03": "operations",  # chief sustainability officers
    "11-1021": "operations", "11-2011": "marketing", "11-2021": "marketing", "11-2022": "sales",
    "11-2032": "marketing", "11-2033": "other",  # fundraising (non-profit development) is no B2B function
    "11-3012": "operations", "11-3013": "operations", "11-3021": "it", "11-3031": "finance",
    "11-3051": "operations", "11-3061": "operations", "11-3071": "operations",
    "11-3111": "hr", "11-3121": "hr", "11-3131": "hr",
    "11-9041": "engineering", "11-9131": "operations", "11-9199.01": "legal", "11-9199.02": "legal",
    "11-9199.08": "operations",
    "11-9161": "operations",  # emergency management directors: continuity planning, as 13-1199.04
    # 13 Business and financial operations
    "13-1011": "other", "13-1021": "operations", "13-1022": "operations", "13-1023": "operations",
    "13-1031": "finance", "13-1032": "finance",  # insurance claims: money, not a trade
    "13-1041": "legal", "13-1041.01": "other", "13-1041.04": "other", "13-1041.06": "other",  # inspectors, coroners
    "13-1041.08": "operations",  # customs brokers
    "13-1051": "operations", "13-1071": "hr", "13-1074": "other", "13-1075": "hr", "13-1081": "operations",
    "13-1082": "operations", "13-1111": "operations", "13-1121": "marketing", "13-1131": "other",
    "13-1141": "hr", "13-1151": "hr", "13-1161": "marketing", "13-1199": "operations", "13-1199.06": "sales",
    "13-2": "finance",
    # 15 Computer and mathematical: engineering builds software and data; it runs the company's systems.
    "15-1211": "it", "15-1211.01": "it", "15-1212": "it", "15-1221": "engineering", "15-1231": "it",
    "15-1232": "it", "15-1241": "it", "15-1241.01": "engineering", "15-1242": "it", "15-1243": "engineering",
    "15-1244": "it", "15-1251": "engineering", "15-1252": "engineering", "15-1253": "engineering",
    "15-1254": "engineering", "15-1255": "product", "15-1255.01": "engineering",  # video game designers
    "15-1299": "it", "15-1299.02": "engineering", "15-1299.07": "engineering", "15-1299.08": "engineering",
    "15-2011": "finance", "15-2021": "other", "15-2031": "operations", "15-2041": "engineering",
    "15-2051": "engineering", "15-2051.02": "other", "15-2099": "other",
    # 17 Architecture and engineering: engineers, drafters and engineering technicians are engineering.
    "17-1": "other", "17-1021": "engineering", "17-2": "engineering", "17-3": "engineering",
    "17-3031": "other",  # surveying technicians, like surveyors
    # 19 Science: other, but occupational health and safety and quality control are operations.
    "19-": "other", "19-5011": "operations", "19-5012": "operations", "19-4099.01": "operations",
    "21-": "other",
    "23-": "legal",
    "25-": "other",
    # 27 Arts, design, media: the company's marketing roles; the rest of the arts and media are other.
    "27-": "other", "27-1011": "marketing", "27-1021": "product", "27-1024": "marketing",
    "27-1026": "marketing", "27-3031": "marketing", "27-3042": "engineering",
    "29-": "other", "31-": "other", "33-": "other", "35-": "other", "37-": "other", "39-": "other",
    "41-": "sales", "41-9012": "other",  # models sell nothing themselves
    # 43 Office and administrative support: by the function the clerk serves.
    "43-": "operations", "43-3": "finance", "43-3061": "operations", "43-4011": "finance",
    "43-4031": "legal", "43-4041": "finance", "43-4051": "support", "43-4061": "other", "43-4081": "other",
    "43-4111": "other", "43-4121": "other", "43-4131": "finance", "43-4141": "finance", "43-4161": "hr",
    "43-4181": "other", "43-5031": "other", "43-6012": "legal", "43-6013": "other", "43-9031": "marketing",
    "43-9041": "finance", "43-9081": "other", "43-9111": "other",
    "45-": "other", "47-": "other",
    "49-": "other", "49-1011": "operations", "49-9071": "operations",
    "51-": "other", "51-1011": "operations", "51-9061": "operations",
    "53-": "other", "53-1": "operations", "53-7051": "operations", "53-7062": "operations",
    "53-7064": "operations", "53-7065": "operations",
    "55-": "other",
}


def department_for_soc(code: str) -> str:
    """The department of an O*NET-SOC code ("41-2031.00"): the value of its longest matching prefix."""
    for end in range(len(code), 2, -1):
        found = DEPARTMENT_BY_SOC_PREFIX.get(code[:end])
        if found is not None:
            return found
    raise KeyError(f"no department for O*NET-SOC code {code!r}")
