"""Country and region -> IANA zone tables used by resolve_time_zone (leadops/timezones.py).

A region that spans several zones gets the zone where most of its people live.
Regions are looked up by code or by name, ignoring case and accents.
"""

from __future__ import annotations

import unicodedata

# The zone of a country that has several, when nothing narrows it down. Countries not
# listed use the first zone of zone.tab (leadops.timezones.zones_by_country).
COUNTRY_ZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "GB": "Europe/London",
    "ID": "Asia/Jakarta",
    "KZ": "Asia/Almaty",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}

NEW_YORK, CHICAGO, DENVER, LOS_ANGELES = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"

_REGIONS: dict[str, list[tuple[str, str, str]]] = {
    "US": [
        ("AL", "Alabama", CHICAGO),
        ("AK", "Alaska", "America/Anchorage"),
        ("AZ", "Arizona", "America/Phoenix"),
        ("AR", "Arkansas", CHICAGO),
        ("CA", "California", LOS_ANGELES),
        ("CO", "Colorado", DENVER),
        ("CT", "Connecticut", NEW_YORK),
        ("DE", "Delaware", NEW_YORK),
        ("DC", "District of Columbia", NEW_YORK),
        ("FL", "Florida", NEW_YORK),
        ("GA", "Georgia", NEW_YORK),
        ("HI", "Hawaii", "Pacific/Honolulu"),
        ("ID", "Idaho", "America/Boise"),
        ("IL", "Illinois", CHICAGO),
        ("IN", "Indiana", "America/Indiana/Indianapolis"),
        ("IA", "Iowa", CHICAGO),
        ("KS", "Kansas", CHICAGO),
        ("KY", "Kentucky", "America/Kentucky/Louisville"),
        ("LA", "Louisiana", CHICAGO),
        ("ME", "Maine", NEW_YORK),
        ("MD", "Maryland", NEW_YORK),
        ("MA", "Massachusetts", NEW_YORK),
        ("MI", "Michigan", "America/Detroit"),
        ("MN", "Minnesota", CHICAGO),
        ("MS", "Mississippi", CHICAGO),
        ("MO", "Missouri", CHICAGO),
        ("MT", "Montana", DENVER),
        ("NE", "Nebraska", CHICAGO),
        ("NV", "Nevada", LOS_ANGELES),
        ("NH", "New Hampshire", NEW_YORK),
        ("NJ", "New Jersey", NEW_YORK),
        ("NM", "New Mexico", DENVER),
        ("NY", "New York", NEW_YORK),
        ("NC", "North Carolina", NEW_YORK),
        ("ND", "North Dakota", CHICAGO),
        ("OH", "Ohio", NEW_YORK),
        ("OK", "Oklahoma", CHICAGO),
        ("OR", "Oregon", LOS_ANGELES),
        ("PA", "Pennsylvania", NEW_YORK),
        ("RI", "Rhode Island", NEW_YORK),
        ("SC", "South Carolina", NEW_YORK),
        ("SD", "South Dakota", CHICAGO),
        ("TN", "Tennessee", CHICAGO),
        ("TX", "Texas", CHICAGO),
        ("UT", "Utah", DENVER),
        ("VT", "Vermont", NEW_YORK),
        ("VA", "Virginia", NEW_YORK),
        ("WA", "Washington", LOS_ANGELES),
        ("WV", "West Virginia", NEW_YORK),
        ("WI", "Wisconsin", CHICAGO),
        ("WY", "Wyoming", DENVER),
        ("PR", "Puerto Rico", "America/Puerto_Rico"),
        ("GU", "Guam", "Pacific/Guam"),
        ("VI", "U.S. Virgin Islands", "America/St_Thomas"),
    ],
    "CA": [
        ("AB", "Alberta", "America/Edmonton"),
        ("BC", "British Columbia", "America/Vancouver"),
        ("MB", "Manitoba", "America/Winnipeg"),
        ("NB", "New Brunswick", "America/Moncton"),
        ("NL", "Newfoundland and Labrador", "America/St_Johns"),
        ("NS", "Nova Scotia", "America/Halifax"),
        ("NT", "Northwest Territories", "America/Edmonton"),
        ("NU", "Nunavut", "America/Iqaluit"),
        ("ON", "Ontario", "America/Toronto"),
        ("PE", "Prince Edward Island", "America/Halifax"),
        ("QC", "Quebec", "America/Toronto"),
        ("SK", "Saskatchewan", "America/Regina"),
        ("YT", "Yukon", "America/Whitehorse"),
    ],
    "AU": [
        ("ACT", "Australian Capital Territory", "Australia/Sydney"),
        ("NSW", "New South Wales", "Australia/Sydney"),
        ("NT", "Northern Territory", "Australia/Darwin"),
        ("QLD", "Queensland", "Australia/Brisbane"),
        ("SA", "South Australia", "Australia/Adelaide"),
        ("TAS", "Tasmania", "Australia/Hobart"),
        ("VIC", "Victoria", "Australia/Melbourne"),
        ("WA", "Western Australia", "Australia/Perth"),
    ],
    "BR": [
        ("SP", "São Paulo", "America/Sao_Paulo"),
        ("RJ", "Rio de Janeiro", "America/Sao_Paulo"),
        ("MG", "Minas Gerais", "America/Sao_Paulo"),
        ("PR", "Paraná", "America/Sao_Paulo"),
        ("RS", "Rio Grande do Sul", "America/Sao_Paulo"),
        ("SC", "Santa Catarina", "America/Sao_Paulo"),
        ("DF", "Distrito Federal", "America/Sao_Paulo"),
        ("GO", "Goiás", "America/Sao_Paulo"),
        ("BA", "Bahia", "America/Bahia"),
        ("PE", "Pernambuco", "America/Recife"),
        ("CE", "Ceará", "America/Fortaleza"),
        ("PA", "Pará", "America/Belem"),
        ("AM", "Amazonas", "America/Manaus"),
        ("MT", "Mato Grosso", "America/Cuiaba"),
        ("MS", "Mato Grosso do Sul", "America/Campo_Grande"),
        ("RO", "Rondônia", "America/Porto_Velho"),
        ("AC", "Acre", "America/Rio_Branco"),
        ("RR", "Roraima", "America/Boa_Vista"),
    ],
    "MX": [
        ("CMX", "Ciudad de México", "America/Mexico_City"),
        ("CDMX", "Mexico City", "America/Mexico_City"),
        ("JAL", "Jalisco", "America/Mexico_City"),
        ("NLE", "Nuevo León", "America/Monterrey"),
        ("BCN", "Baja California", "America/Tijuana"),
        ("BCS", "Baja California Sur", "America/Mazatlan"),
        ("SON", "Sonora", "America/Hermosillo"),
        ("CHH", "Chihuahua", "America/Chihuahua"),
        ("SIN", "Sinaloa", "America/Mazatlan"),
        ("ROO", "Quintana Roo", "America/Cancun"),
        ("YUC", "Yucatán", "America/Merida"),
    ],
    "RU": [
        ("MOW", "Moscow", "Europe/Moscow"),
        ("SPE", "Saint Petersburg", "Europe/Moscow"),
        ("KGD", "Kaliningrad", "Europe/Kaliningrad"),
        ("SAM", "Samara", "Europe/Samara"),
        ("SVE", "Sverdlovsk", "Asia/Yekaterinburg"),
        ("CHE", "Chelyabinsk", "Asia/Yekaterinburg"),
        ("OMS", "Omsk", "Asia/Omsk"),
        ("NVS", "Novosibirsk", "Asia/Novosibirsk"),
        ("KYA", "Krasnoyarsk", "Asia/Krasnoyarsk"),
        ("IRK", "Irkutsk", "Asia/Irkutsk"),
        ("SA", "Sakha", "Asia/Yakutsk"),
        ("PRI", "Primorsky", "Asia/Vladivostok"),
        ("KHA", "Khabarovsk", "Asia/Vladivostok"),
        ("MAG", "Magadan", "Asia/Magadan"),
        ("KAM", "Kamchatka", "Asia/Kamchatka"),
    ],
}


def normalize_region(text: str) -> str:
    """'São Paulo ' -> 'sao paulo': no accents, no case, no outer spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


REGION_ZONES: dict[str, dict[str, str]] = {
    country: {normalize_region(key): zone for code, name, zone in rows for key in (code, name)}
    for country, rows in _REGIONS.items()
}


def region_zone(country: str, region: str) -> str | None:
    """The zone of a region ('CA', 'California', 'US-CA') of a country, if the table has it."""
    table = REGION_ZONES.get(country, {})
    key = normalize_region(region)
    return table.get(key) or table.get(key.removeprefix(f"{country.casefold()}-"))
