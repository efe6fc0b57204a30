"""Demo customers: a dozen companies in Italy, France and Romania, with contacts.

Their contracts and packages are added by `assistdesk.contracts.demo`, which runs after
the catalog is loaded.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from decimal import Decimal

from assistdesk.customers import services

# key, name, country, language, currency, VAT rate (None: reverse charge), workstations,
# in town, tell me before replacing parts, support PIN
CUSTOMERS = [
    ("studio-rossi", "Studio Rossi Commercialisti", "IT", "it", "EUR", "22", 8, True, False, ""),
    ("farmacia-bianchi", "Farmacia Bianchi", "IT", "it", "EUR", "22", 3, True, True, ""),
    ("officina-verdi", "Officina Verdi S.r.l.", "IT", "it", "EUR", "22", 12, False, False, ""),
    ("logistica-adriatica", "Logistica Adriatica S.p.A.", "IT", "it", "EUR", "22", 25, False,
     False, "482913"),
    ("hotel-lago", "Hotel Lago Azzurro", "IT", "it", "EUR", "22", 10, False, False, "730146"),
    ("cabinet-martin", "Cabinet Martin Avocats", "FR", "fr", "EUR", "20", 6, True, False, ""),
    ("boulangerie-dupont", "Boulangerie Dupont", "FR", "fr", "EUR", "20", 2, True, True, ""),
    ("atelier-lefevre", "Atelier Lefèvre SAS", "FR", "fr", "EUR", None, 5, False, False, ""),
    ("acme-brasov", "Acme Distributie S.R.L.", "RO", "ro", "RON", "21", 4, False, False, ""),
    ("contabil-plus", "Contabil Plus S.R.L.", "RO", "ro", "RON", "21", 6, True, False, ""),
    ("magazin-popescu", "Magazin Popescu", "RO", "ro", "RON", "21", 2, True, False, ""),
    ("fabrica-ionescu", "Fabrica Ionescu S.A.", "RO", "en", "RON", "21", 15, False, True, ""),
]  # fmt: skip

# customer key -> (name, e-mail, phone, authorised, accounting)
CONTACTS = {
    "studio-rossi": [("Marco Rossi", "marco@studiorossi.example", "+39 02 555 0101", True, True),
                     ("Giulia Neri", "giulia@studiorossi.example", "", False, False)],
    "farmacia-bianchi": [("Anna Bianchi", "anna@farmaciabianchi.example", "+39 06 555 0102",
                          True, True)],
    "officina-verdi": [("Luca Verdi", "luca@officinaverdi.example", "+39 011 555 0103", True,
                        False),
                       ("Sara Conti", "amministrazione@officinaverdi.example", "", False, True)],
    "logistica-adriatica": [("Paolo Greco", "it@logadriatica.example", "+39 071 555 0104",
                             True, False),
                            ("Elena Galli", "elena.galli@logadriatica.example", "", True, True)],
    "hotel-lago": [("Franco Ferri", "direzione@hotellago.example", "+39 031 555 0105", True,
                    True)],
    "cabinet-martin": [("Claire Martin", "claire@cabinetmartin.example", "+33 1 55 50 01 06",
                        True, True),
                       ("Hugo Bernard", "hugo@cabinetmartin.example", "", False, False)],
    "boulangerie-dupont": [("Paul Dupont", "paul@boulangeriedupont.example", "", True, True)],
    "atelier-lefevre": [("Julie Lefèvre", "julie@atelierlefevre.example", "", True, True)],
    "acme-brasov": [("Andrei Popa", "andrei@acme.example", "+40 268 555 107", True, False),
                    ("Ioana Stan", "contabilitate@acme.example", "", False, True),
                    ("Mihai Dobre", "mihai@acme.example", "+40 268 555 108", True, False)],
    "contabil-plus": [("Elena Marin", "elena@contabilplus.example", "+40 21 555 0109", True,
                       True)],
    "magazin-popescu": [("Ion Popescu", "ion@magazinpopescu.example", "+40 723 555 110", True,
                         True),
                        ("Maria Popescu", "maria@magazinpopescu.example", "", False, False)],
    "fabrica-ionescu": [("Radu Ionescu", "it@fabricaionescu.example", "+40 268 555 111", True,
                         False),
                        ("Dana Voicu", "financiar@fabricaionescu.example", "", False, True)],
}  # fmt: skip


def load(*, now: datetime) -> None:
    for key, name, country, language, currency, vat, seats, in_town, ask, pin in CUSTOMERS:
        customer = services.customer_create(
            key=key,
            name=name,
            country=country,
            language=language,
            currency=currency,
            vat_rate=None if vat is None else Decimal(vat),
            is_vat_reverse_charge=vat is None,
            vat_id=f"{country}{zlib.crc32(key.encode()):011d}",
            workstations=seats,
            is_in_town=in_town,
            is_part_approval_required=ask,
            actor="demo",
            now=now,
        )
        services.site_create(customer=customer, name="Head office", actor="demo", now=now)
        if pin:
            services.customer_set_support_pin(customer=customer, pin=pin, actor="demo", now=now)
        for contact_name, email, phone, authorised, accounting in CONTACTS[key]:
            services.contact_create(
                customer=customer,
                name=contact_name,
                email=email,
                phone=phone,
                is_authorised=authorised,
                is_accounting=accounting,
                actor="demo",
                now=now,
            )
