"""Sample data for the demo history (demo/history.py): where the demo leads live,
their names, companies and email domains, what they ask for, and why reps decide as they do."""

# Cities: (city, region, country, time zone, dialling prefixes, share of leads). Phone numbers come from the
# ranges reserved for fiction (US 555-0100..0199, Ofcom's drama ranges): valid, and never
# anyone's real phone, so a click on a demo lead's tel: link rings nobody.
US_CITIES = (
    ("New York", "NY", "US", "America/New_York", ("646", "212", "718"), 5),
    ("Boston", "MA", "US", "America/New_York", ("617",), 2),
    ("Miami", "FL", "US", "America/New_York", ("305",), 1.5),
    ("Atlanta", "GA", "US", "America/New_York", ("404",), 1.5),
    ("Chicago", "IL", "US", "America/Chicago", ("312",), 2),
    ("Austin", "TX", "US", "America/Chicago", ("512",), 1),
    ("Denver", "CO", "US", "America/Denver", ("303",), 1),
    ("San Francisco", "CA", "US", "America/Los_Angeles", ("415",), 1.5),
    ("Seattle", "WA", "US", "America/Los_Angeles", ("206",), 1),
)
EMEA_CITIES = (
    ("London", "England", "GB", "Europe/London", ("20 7946",), 6),
    ("Manchester", "England", "GB", "Europe/London", ("161 496",), 2),
    ("Birmingham", "England", "GB", "Europe/London", ("121 496",), 2),
    ("Leeds", "England", "GB", "Europe/London", ("113 496",), 1),
    ("Bristol", "England", "GB", "Europe/London", ("117 496",), 1),
    ("Edinburgh", "Scotland", "GB", "Europe/London", ("131 496",), 1),
    ("Berlin", "", "DE", "Europe/Berlin", (), 1),
    ("Paris", "", "FR", "Europe/Paris", (), 1),
    ("Amsterdam", "", "NL", "Europe/Amsterdam", (), 0.5),
    ("Dublin", "", "IE", "Europe/Dublin", (), 1),
)
FIRST_NAMES = {
    "US": "James Olivia Michael Emma William Sophia David Isabella Joseph Mia Carlos Priya Tyler Jasmine Ethan "
    "Madison Marcus Aaliyah Kevin Rachel Brandon Megan Luis Hannah Andre Nicole".split(),
    "GB": "Oliver Amelia Harry Isla George Ava Jack Poppy Charlie Freya Thomas Lily Alfie Sophie Callum Imogen "
    "Rhys Eleanor Hamish Niamh Samir Zara".split(),
    "DE": "Lukas Anna Felix Lena Jonas Marie".split(),
    "FR": "Louis Camille Hugo Chloé Jules Léa".split(),
    "NL": "Daan Sanne Sem Fleur".split(),
    "IE": "Cian Aoife Seán Ciara".split(),
}
LAST_NAMES = {
    "US": "Smith Johnson Williams Brown Garcia Miller Davis Rodriguez Wilson Anderson Taylor Moore Jackson Lee "
    "Harris Clark Lewis Walker Young Nguyen Patel Rivera Cooper Reed".split(),
    "GB": "Smith Jones Taylor Brown Williams Wilson Evans Thomas Roberts Walker Wright Hughes Green Hall "
    "Wood Harris Khan Campbell Murray Ali".split(),
    "DE": "Müller Schmidt Fischer Weber Becker".split(),
    "FR": "Martin Bernard Dubois Laurent Moreau".split(),
    "NL": "de Jong Jansen Bakker Visser".split(),
    "IE": "Murphy Kelly Byrne Walsh".split(),
}
COMPANIES = {
    "US": (
        ("Brightpath Logistics", "brightpathlogistics.com"),
        ("Summit Ridge Dental", "summitridgedental.com"),
        ("Harbor & Pine Realty", "harborandpine.com"),
        ("Bluefin Analytics", "bluefinanalytics.io"),
        ("Cobalt Health Partners", "cobalthealthpartners.com"),
        ("Lakeshore Manufacturing", "lakeshoremfg.com"),
        ("Redwood Ledger", "redwoodledger.com"),
        ("Keystone Legal Group", "keystonelegalgroup.com"),
        ("Tandem Robotics", "tandemrobotics.io"),
        ("Copperline Solar", "copperlinesolar.com"),
        ("Grand Avenue Architects", "grandavenuearchitects.com"),
        ("Initech", "initech.com"),
        ("Acme Corp", "acme-corp.com"),
    ),
    "GB": (
        ("Thameside Engineering", "thameside-engineering.co.uk"),
        ("Pennine Software", "penninesoftware.co.uk"),
        ("Fenwick & Roe Solicitors", "fenwickroe.co.uk"),
        ("Kestrel Payments", "kestrelpayments.com"),
        ("Albion Retail Group", "albionretail.co.uk"),
        ("Brightwater Energy", "brightwaterenergy.co.uk"),
        ("Caledonia Biotech", "caledoniabiotech.com"),
        ("Globex", "globex.co.uk"),
    ),
    "DE": (("Nordlicht Software", "nordlicht-software.de"), ("Spreeufer Logistik", "spreeufer-logistik.de")),
    "FR": (("Atelier Lumière", "atelier-lumiere.fr"), ("Maison Carreau", "maisoncarreau.fr")),
    "NL": (("Grachten Digital", "grachtendigital.nl"),),
    "IE": (("Liffey Data", "liffeydata.ie"), ("Corrib Analytics", "corribanalytics.ie")),
}
FREE_MAIL = {
    "US": ("gmail.com", "gmail.com", "outlook.com", "yahoo.com", "icloud.com", "aol.com"),
    "GB": ("gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "icloud.com"),
    "DE": ("gmail.com", "web.de", "gmx.de"),
    "FR": ("gmail.com", "hotmail.fr", "yahoo.fr"),
    "NL": ("gmail.com", "outlook.com"),
    "IE": ("gmail.com", "outlook.com"),
}
DISPOSABLE = ("mailinator.com", "guerrillamail.com", "10minutemail.com", "sharklasers.com")
JOB_TITLES = (
    "Office Manager", "Operations Manager", "Head of Operations", "Facilities Manager", "Head of Workplace",
    "VP Operations", "Founder", "CEO", "CFO", "Procurement Lead", "HR Director", "Executive Assistant",
    "Workplace Coordinator", "Finance Manager", "Managing Director", "",
)  # fmt: skip
B2B_PRODUCTS = ("Office fit-out", "Furniture subscription", "Meeting room kit", "Hybrid work bundle", "")
B2C_PRODUCTS = ("Standing desk", "Ergonomic chair", "Home office bundle", "Monitor arm")
MESSAGES = {
    "demo_request": (
        "We're moving into a new office for {n} people in the spring. Could you walk us through the options?",
        "Would like a demo of the furniture subscription for our {n}-person team.",
        "",
    ),
    "pricing": (
        "What would {n} desks and chairs cost on a 24-month subscription?",
        "Do you offer volume pricing?",
        "",
    ),
    "contact_sales": (
        "Please call me about fitting out our second floor ({n} seats).",
        "Looking for a supplier for three sites. Who can I talk to?",
    ),
    "cart_abandonment": ("", "Is delivery included?", "Can I pay in instalments?"),
    "content_download": ("", "Downloaded the hybrid office guide."),
    "webinar": ("", "Registered for the workplace design webinar."),
    "newsletter": ("",),
    "general": ("Do you deliver to my area?", "Question about an order.", "Do you take old furniture back?", ""),
}
QUALIFIED_REASONS = ("budget and timeline confirmed", "decision maker, project this quarter", "asked for a site visit")
DISQUALIFIED_REASONS = (
    "no budget this year", "not a decision maker", "already bought from a competitor",
    "outside our delivery area", "student project", "looking for a job, not a purchase",
)  # fmt: skip

# Local hour of day -> relative number of submissions (busiest mid-morning and mid-afternoon).
WEEKDAY_HOURS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 1, 2, 4, 5, 5, 4, 4.5, 5, 4.5, 3.5, 2, 1.4, 1.2, 1.1, 0.9, 0.6, 0.4)
WEEKEND_HOURS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.6, 1, 1.5, 2, 2, 2, 2, 2, 2, 1.8, 1.6, 1.5, 1.5, 1.6, 1.4, 1, 0.6)
