"""Word lists of the demo company: countries, names, industries, products.

The demo supplier is a Dutch distributor of industrial components and technical services
selling across the EU. Names are synthetic combinations of common first and family names;
any resemblance to a real person or company is accidental.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def ascii_fold(text: str) -> str:
    """Lower-case ASCII form of ``text`` for e-mail addresses and domains."""
    text = text.replace("ß", "ss").replace("ł", "l").replace("Ł", "L")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


@dataclass(frozen=True)
class Country:
    """A market of the demo supplier and the habits of its companies."""

    code: str
    weight: float
    region: str
    tld: str
    #: legal-form suffixes of company names
    forms: tuple[str, ...]
    #: trade words for company names ("Metaal", "Maschinenbau")
    trades: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    #: extra days late on average; southern Europe pays later (Intrum European Payment Report)
    late_days: float
    #: weights of payment terms 14 / 30 / 45 / 60 days
    terms: tuple[float, float, float, float]
    bureau: str


TERMS = (14, 30, 45, 60)

#: VAT on domestic invoices; intra-EU B2B supplies are reverse-charged (0 %).
HOME_COUNTRY = "NL"
HOME_VAT = 0.21

COUNTRIES: tuple[Country, ...] = (
    Country(
        "NL", 0.22, "Benelux", "nl", ("B.V.", "B.V.", "N.V.", "V.O.F."),
        ("Metaal", "Techniek", "Installatietechniek", "Bouw", "Logistiek", "Kunststoffen"),
        ("Sanne", "Daan", "Lotte", "Bram", "Femke", "Joost", "Anouk", "Thijs", "Eva", "Ruben",
         "Marieke", "Wouter", "Inge", "Sander", "Noor", "Jeroen"),
        ("de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
         "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Kok"),
        0.0, (0.15, 0.6, 0.15, 0.1), "Graydon",
    ),
    Country(
        "DE", 0.25, "DACH", "de", ("GmbH", "GmbH", "GmbH & Co. KG", "AG"),
        ("Maschinenbau", "Metallbau", "Technik", "Logistik", "Anlagenbau", "Kunststofftechnik"),
        ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Laura", "Maximilian", "Julia", "Tobias",
         "Katrin", "Stefan", "Sabine", "Jan", "Miriam", "Florian", "Claudia"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Koch", "Richter", "Wolf", "Schröder", "Neumann", "Braun"),
        -1.0, (0.1, 0.65, 0.15, 0.1), "Creditreform",
    ),
    Country(
        "BE", 0.10, "Benelux", "be", ("NV", "BV", "SA", "SRL"),
        ("Techniek", "Industries", "Construct", "Mécanique", "Logistics"),
        ("Pieter", "Lien", "Thomas", "Elise", "Wout", "Charlotte", "Arne", "Julie", "Koen",
         "Sofie", "Maxime", "Camille", "Bart", "Hanne"),
        ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
         "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Lemaire"),
        2.0, (0.1, 0.55, 0.2, 0.15), "Graydon",
    ),
    Country(
        "FR", 0.12, "France", "fr", ("SAS", "SARL", "SA"),
        ("Industrie", "Mécanique", "Technologies", "Équipements", "Logistique", "Plasturgie"),
        ("Camille", "Louis", "Chloé", "Hugo", "Manon", "Nicolas", "Léa", "Julien", "Émilie",
         "Antoine", "Claire", "Mathieu", "Sophie", "Olivier"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel"),
        4.0, (0.05, 0.35, 0.25, 0.35), "Ellisphere",
    ),
    Country(
        "ES", 0.08, "Iberia", "es", ("S.L.", "S.A.", "S.L.U."),
        ("Industrial", "Mecanizados", "Técnica", "Montajes", "Logística"),
        ("Javier", "Lucía", "Carlos", "Marta", "Pablo", "Elena", "Sergio", "Laura", "Álvaro",
         "Carmen", "Diego", "Raquel"),
        ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
         "Gómez", "Martín", "Jiménez", "Ruiz"),
        6.0, (0.05, 0.3, 0.2, 0.45), "Informa D&B",
    ),
    Country(
        "IT", 0.09, "Italy", "it", ("S.r.l.", "S.p.A.", "S.r.l."),
        ("Meccanica", "Impianti", "Tecnologie", "Componenti", "Logistica"),
        ("Marco", "Giulia", "Luca", "Francesca", "Andrea", "Chiara", "Matteo", "Sara",
         "Alessandro", "Valentina", "Davide", "Elisa"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
         "Marino", "Greco", "Bruno", "Gallo"),
        8.0, (0.05, 0.3, 0.2, 0.45), "CRIF",
    ),
    Country(
        "AT", 0.06, "DACH", "at", ("GmbH", "GmbH", "AG", "KG"),
        ("Maschinenbau", "Technik", "Metallwaren", "Anlagenbau", "Logistik"),
        ("Lukas", "Hannah", "David", "Sophie", "Elias", "Lena", "Simon", "Anna", "Fabian",
         "Theresa", "Markus", "Verena"),
        ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer",
         "Hofer", "Leitner", "Berger", "Fuchs"),
        -1.0, (0.15, 0.6, 0.15, 0.1), "KSV1870",
    ),
    Country(
        "PL", 0.08, "CEE", "pl", ("Sp. z o.o.", "S.A.", "Sp. z o.o."),
        ("Mechanika", "Technika", "Metal", "Instalacje", "Logistyka"),
        ("Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka",
         "Michał", "Monika", "Marcin", "Joanna"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
         "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski"),
        3.0, (0.1, 0.5, 0.2, 0.2), "BIG InfoMonitor",
    ),
    Country(
        "DK", 0.03, "Nordics", "dk", ("A/S", "ApS"),
        ("Maskinfabrik", "Teknik", "Industri", "Logistik"),
        ("Mads", "Sofie", "Frederik", "Ida", "Mikkel", "Emma", "Rasmus", "Mette"),
        ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
         "Sørensen"),
        -1.0, (0.2, 0.6, 0.1, 0.1), "Experian",
    ),
    Country(
        "CZ", 0.03, "CEE", "cz", ("s.r.o.", "a.s."),
        ("Strojírny", "Technika", "Kovovýroba", "Logistika"),
        ("Jan", "Tereza", "Petr", "Lucie", "Martin", "Eva", "Tomáš", "Jana"),
        ("Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý"),
        2.0, (0.1, 0.5, 0.2, 0.2), "CRIF",
    ),
    Country(
        "LU", 0.02, "Benelux", "lu", ("S.A.", "S.à r.l."),
        ("Industries", "Technique", "Services"),
        ("Luc", "Anne", "Marc", "Sarah", "Paul", "Carole"),
        ("Schmit", "Muller", "Weber", "Hoffmann", "Wagner", "Thill"),
        1.0, (0.1, 0.6, 0.2, 0.1), "Creditreform",
    ),
)  # fmt: skip

#: Brand-like name parts for companies that do not carry a family name.
BRANDS = (
    "Nord", "Alpen", "Rhein", "Delta", "Atlas", "Nova", "Vector", "Orion", "Polar", "Euro",
    "Prima", "Omega", "Helix", "Astra", "Titan", "Kronos", "Vista", "Apex", "Boreal", "Linea",
)  # fmt: skip

#: Endings that make a brand word a company name ("Atlastec", "Novaflex").
BRAND_ENDINGS = ("tec", "flex", "tronic", "matic", "line", "plan", "form", "tech", "pro", "trade")

#: Sales account managers of the demo supplier, per sales region.
ACCOUNT_MANAGERS: dict[str, tuple[str, ...]] = {
    "Benelux": ("Sanne de Vries", "Pieter Janssens", "Mark Hendriks", "Eline Maes",
                "Ruud Bakker", "Nadia El Amrani"),
    "DACH": ("Katrin Weber", "Stefan Huber", "Jonas Becker", "Lena Gruber", "Tim Schulz"),
    "France": ("Claire Moreau", "Julien Petit", "Sophie Laurent"),
    "Iberia": ("Javier Ruiz", "Marta Gómez"),
    "Italy": ("Marco Colombo", "Chiara Ricci"),
    "CEE": ("Tomasz Nowak", "Jana Dvořáková", "Paweł Zieliński"),
    "Nordics": ("Mette Larsen",),
}  # fmt: skip

SIZE_BANDS = ("micro", "small", "medium", "large", "enterprise")

#: NACE sector labels; the second element says whether customers there are often regulated
#: (public bodies, hospitals, utilities), which constrains how a relationship may end.
INDUSTRIES: tuple[tuple[str, bool], ...] = (
    ("C25 Fabricated metal products", False),
    ("C28 Machinery and equipment", False),
    ("C22 Rubber and plastic products", False),
    ("C10 Food products", False),
    ("C20 Chemicals", False),
    ("C29 Motor vehicles", False),
    ("F43 Specialised construction", False),
    ("G46 Wholesale trade", False),
    ("H52 Warehousing and logistics", False),
    ("M71 Engineering consultancy", False),
    ("C21 Pharmaceuticals", True),
    ("D35 Electricity and gas supply", True),
    ("E36 Water supply", True),
    ("Q86 Hospitals and health care", True),
    ("O84 Public administration", True),
    ("P85 Education", True),
)
INDUSTRY_WEIGHTS = (12, 14, 8, 8, 6, 7, 9, 10, 7, 5, 2, 2, 2, 3, 3, 2)

#: (product category, margin offset against the customer's usual margin)
PRODUCTS: tuple[tuple[str, float], ...] = (
    ("Fasteners", -0.04),
    ("Bearings", -0.02),
    ("Hydraulic components", 0.0),
    ("Pneumatic components", 0.0),
    ("Sensors", 0.02),
    ("Drive technology", -0.01),
    ("Control cabinets", 0.01),
    ("Cables and connectors", -0.03),
    ("Spare parts", 0.04),
    ("Tooling", -0.01),
    ("Safety equipment", 0.0),
    ("Maintenance contracts", 0.05),
    ("Engineering services", 0.03),
    ("Installation services", 0.02),
)
PRODUCT_WEIGHTS = (14, 10, 9, 8, 8, 7, 5, 9, 8, 6, 5, 4, 3, 4)

CHANNELS = ("direct", "partner", "web", "edi")

#: (role, seniority, decision role) of contacts. Slot 0 is the primary contact, slot 1 the
#: finance contact, slot 2 the executive sponsor, later slots come from ``OTHER_ROLES``.
PRIMARY_SMALL = (
    ("Owner", "executive", "decision_maker"),
    ("Managing Director", "executive", "decision_maker"),
)
PRIMARY_LARGE = (
    ("Purchasing Manager", "manager", "decision_maker"),
    ("Procurement Lead", "manager", "decision_maker"),
)
FINANCE_ROLES = (
    ("Accounts Payable Clerk", "staff", "user"),
    ("Finance Manager", "manager", "influencer"),
)
EXECUTIVE_ROLES = (
    ("CEO", "executive", "decision_maker"),
    ("COO", "executive", "decision_maker"),
    ("CFO", "executive", "decision_maker"),
)
OTHER_ROLES = (("Buyer", "staff", "user"),
               ("Maintenance Engineer", "staff", "user"),
               ("Production Manager", "manager", "influencer"),
               ("Quality Manager", "manager", "influencer"),
               ("Project Engineer", "staff", "influencer"),
               ("Logistics Coordinator", "staff", "user"),
               ("Plant Manager", "manager", "influencer"),
               ("Technical Buyer", "staff", "influencer"))  # fmt: skip
ROLE_GROUPS = (PRIMARY_SMALL, PRIMARY_LARGE, FINANCE_ROLES, EXECUTIVE_ROLES, OTHER_ROLES)
ROLES = tuple(role for group in ROLE_GROUPS for role in group)
SENIORITIES = ("executive", "manager", "staff")
DECISION_ROLES = ("decision_maker", "influencer", "user")

DEPARTMENTS = ("sales", "finance", "service", "engineering", "marketing", "hr")
