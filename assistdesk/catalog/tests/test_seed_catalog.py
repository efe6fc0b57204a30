"""The demo catalog holds every number the five seeds state (../shared/seeds/).

One test per seed; each assertion quotes what the seed says. Values the seeds do not
state are marked "not stated by the seed" in fixtures/seed_catalog.yaml and not checked
here, except that they exist where a plan needs them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistdesk.catalog import demo
from assistdesk.catalog.models import Calendar, Plan, PlanRate, Target
from assistdesk.catalog.selectors import plan_list
from assistdesk.catalog.services import catalog_load_from_spec
from assistdesk.domain.rating import RatingTerms

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal


@pytest.fixture
def plans() -> dict[str, Plan]:
    catalog_load_from_spec(spec=demo.seed_catalog_spec(), actor="test", now=NOW)
    return {p.key: p for p in plan_list(is_active=None)}


def rate(plan: Plan, key: str) -> PlanRate:
    return next(r for r in plan.rates.all() if r.key == key)


def targets(plan: Plan) -> set[tuple[object, ...]]:
    """(kind, urgent, severity, working_hours, working_days, calendar key or None)."""
    return {
        (t.kind, t.urgent, t.severity, t.working_hours, t.working_days, _cal(t))
        for t in plan.targets.all()
    }


def _cal(target: Target) -> str | None:
    return target.calendar.key if target.calendar else None


def local(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_the_seeds_are_the_ones_the_catalog_was_written_from(shared_dir: Path) -> None:
    names = sorted(p.name[:3] for p in (shared_dir / "seeds").iterdir())
    assert names == ["000", "001", "002", "003", "004"]


def test_every_seed_plan_loads_and_passes_its_own_validation(plans: dict[str, Plan]) -> None:
    assert len(plans) == 19
    for plan in plans.values():
        plan.full_clean()
        for child in [*plan.rates.all(), *plan.allowances.all(), *plan.targets.all()]:
            child.full_clean()
        assert plan.to_domain().key == plan.key
        assert isinstance(plan.to_rating_terms(), RatingTerms)
    for calendar in Calendar.objects.all():
        calendar.full_clean()


def test_seed_000_prepaid_hour_packages(plans: dict[str, Plan]) -> None:
    # "I pacchetti sono di due tipi ...: 1) OnSite 2) Remote"
    # "I pacchetti possono essere da 12, 24, 48 e 96 ore ed hanno una validità di 12 mesi."
    packages = {p.key: p for p in plans.values() if p.is_package}
    assert {(p.package_mode, p.package_hours) for p in packages.values()} == {
        (mode, hours) for mode in ("remote", "onsite") for hours in (12, 24, 48, 96)
    }
    for plan in packages.values():
        assert plan.package_validity_months == 12
        assert plan.package_price_amount is not None and plan.package_price_amount > 0
        assert plan.currency == "EUR"
    # "Quando un pacchetto ... esaurito è possibile acquistarne uno nuovo anche con un taglio
    # differente": every size is a plan of its own, bought as many times as wanted.
    assert plans["remote12"].package_mode == "remote" and plans["onsite96"].package_mode == "onsite"
    # Without a package: the same rates on request.
    on_request = plans["efuture-on-request"]
    assert not on_request.is_package
    assert {r.mode for r in on_request.rates.all()} == {"remote", "onsite"}


def test_seed_001_intervention_terms(plans: dict[str, Plan]) -> None:
    annual, one_off = plans["interventions-annual"], plans["interventions-one-off"]
    for plan in (
        annual,
        one_off,
    ):  # "disponibili sia in modalità di contratto annuale, sia singolarmente"
        # "Per gli interventi urgenti garantiamo la nostra presenza entro 4 ore lavorative"
        # "garantiamo una risposta scritta entro 8 ore lavorative"
        assert targets(plan) == {
            ("onsite", True, None, 4, None, None),
            ("response", False, None, 8, None, None),
        }
        # "non addebitiamo alcun costo di uscita o di manodopera"
        assert plan.is_late_onsite_urgent_free is True
        # "sconti del 20% per ogni ora di ritardo"
        assert plan.late_response_discount_per_hour == D("0.20")
        # small spare parts are accepted: parts are charged, not covered
        assert plan.is_parts_covered is False
        assert plan.travel_in_town_amount is not None  # "costo di uscita"
    # "contratto di assistenza annuale garantisce ... la massima priorità ... costi più contenuti"
    assert annual.term_months == 12
    assert annual.priority == 1 and annual.priority < one_off.priority
    assert min(p.priority for p in plans.values()) == 1
    for key in ("remote", "onsite"):
        assert rate(annual, key).price_amount < rate(one_off, key).price_amount


def test_seed_002_scudo_contracts(plans: dict[str, Plan]) -> None:
    trial = plans["scudo-trial-90"]
    # "Gratuito per i tre mesi successivi al collaudo finale" / "SCUDO TRIAL 90"
    assert trial.trial_days == 90
    assert trial.monthly_fee_amount is None and trial.annual_fee_amount is None
    # "Alla scadenza, SCUDO TRIAL 90 può essere convertito in SCUDO 360 o SCUDO Full."
    assert trial.trial_converts_to == plans["scudo-360"]
    assert not plans["scudo-full"].is_trial and not plans["scudo-full"].is_package
    # "Il servizio, di durata annuale" (360)
    for key in ("scudo-360", "scudo-360-extra-time", "scudo-360-h24"):
        assert plans[key].term_months == 12
        assert plans[key].is_parts_covered is False
    # "SCUDO FULL è l'assistenza e la manutenzione comprensiva di sostituzione di parti"
    assert plans["scudo-full"].is_parts_covered is True
    # "presa in carico la telefonata o la richiesta ... arrivata per email ... (o rilevata dal
    # servizio di monitoraggio AltecMonitor)"; origins "Telefono, Mail, AltecMonitor, altro"
    for key in ("scudo-trial-90", "scudo-360", "scudo-full"):
        assert set(plans[key].channels) == {"phone", "email", "monitoring", "other"}
    # Severity codes 1, 2, 3 each have a target
    assert {t.severity for t in plans["scudo-360"].targets.all()} == {1, 2, 3}
    # "Se il contratto prevede un Extra Time ... dopo le ore 18:00 o nel week-end"
    assert plans["scudo-360"].extra_time_calendar is None
    extra = plans["scudo-360-extra-time"].extra_time_calendar
    assert extra is not None
    hours = extra.to_domain()
    rome = "Europe/Rome"
    assert hours.is_working(local("2026-03-06T18:00", rome))  # Friday 18:00
    assert not hours.is_working(local("2026-03-06T17:59", rome))
    assert hours.is_working(local("2026-03-07T11:00", rome))  # Saturday
    assert hours.is_working(local("2026-03-08T23:00", rome))  # Sunday
    assert not hours.is_working(local("2026-03-09T10:00", rome))  # Monday office hours
    # "E' possibile avere assistenza H24x7? Certo, nel nostro contratto ... Scudo 360"
    h24 = plans["scudo-360-h24"].extra_time_calendar
    assert h24 is not None and h24.to_domain().is_24x7


def test_seed_003_pay_per_request(plans: dict[str, Plan]) -> None:
    plan = plans["fr-on-request"]
    # "la durée de prestation minmale est définie forfaitairement à 15 minutes"
    assert plan.minimum_minutes == 15
    # "systématiquement valorisée par le temps de prestation réel": billed per real minute
    assert {r.round_to_minutes for r in plan.rates.all()} == {1}
    # "la mise en place de cet outil ... portera la durée minimale ... à 60 minutes"
    assert plan.remote_tool_minimum_minutes == 60
    # "multipliée par 3" / "multipliée par 2, en plus des coefficients déjà appliqués"
    assert {c.name: c.factor for c in plan.coefficients.all()} == {
        "out_of_hours": D("3"),
        "urgent": D("2"),
    }
    terms = plan.to_rating_terms(contract_coefficients={"sla_option": D("1.5")})
    assert dict(terms.coefficients) == {"out_of_hours": 3, "urgent": 2, "sla_option": D("1.5")}
    assert terms.remote_tool_minimum_minutes == 60  # rating reads the plan's own minimum
    # "les frais de déplacement si requis ... jamais pris en charge": travel is billed
    assert plan.travel_in_town_amount is not None and plan.travel_out_of_town_amount is not None
    assert terms.travel is not None
    # "A défaut de contrat SLA, nous prenons votre demande en charge dans les 15 jours
    # ouvrables"; "Le délai de résolution, à défaut de SLA, est indéterminé."
    assert targets(plan) == {("response", None, None, None, 15, "fr-jours-ouvrables")}
    ouvrables = Calendar.objects.get(key="fr-jours-ouvrables").to_domain()
    assert ouvrables.is_working_day(datetime(2026, 3, 7).date())  # a Saturday is "ouvrable"
    assert not ouvrables.is_working_day(datetime(2026, 3, 8).date())  # Sunday is not
    assert not ouvrables.is_working_day(datetime(2026, 7, 14).date())  # public holiday


def test_seed_004_tip_0(plans: dict[str, Plan]) -> None:
    plan = plans["tip-0"]
    # "Tip 0 / 0 /Lunar / 0 /Lunar"
    assert plan.monthly_fee_amount == 0 and plan.annual_fee_amount == 0
    # "0 tichete incluse lunar"
    assert list(plan.allowances.all()) == []
    # "15 zile lucratoare" (response, not urgent); changes "in 30 de zile lucratoare";
    # "interventia la sediul beneficiarului in termen de 30 zile lucratoare"
    assert targets(plan) == {
        ("response", False, None, None, 15, None),
        ("change", None, None, None, 30, None),
        ("onsite", None, None, None, 30, None),
    }
    # "o singura persoana de contact"
    assert plan.authorised_contacts_limit == 1
    # "50 euro/tichet", "100 euro/ora" programming, "70 euro/ora" on site
    assert_ticket_rates(plan, ticket=D("50"), programming=D("100"), onsite=D("70"))
    assert_platphorma_terms(plan)
    assert plan.priority > 1


def test_seed_004_expert(plans: dict[str, Plan]) -> None:
    plan = plans["expert"]
    # "300 /Luna", "3000 /Anual" ("primesti 2 luni gratuit"), "+15 euro / luna / statie"
    assert plan.monthly_fee_amount == D("300")
    assert plan.annual_fee_amount == D("3000") == 10 * plan.monthly_fee_amount
    assert plan.per_workstation_monthly_fee_amount == D("15")
    # "10 tichete (5 ore) incluse lunar pentru asistenta tehnica la distanta"
    (allowance,) = plan.allowances.all()
    assert allowance.minutes == 300 == 10 * rate(plan, "remote_support").per_minutes
    assert allowance.rate_key_list == ["remote_support"]
    assert rate(plan, "remote_support").mode == "remote"
    # urgent phone "in maxim 2 ore ... de luni pana vineri in intervalul orar 8:30 - 16:30";
    # "maxim 6 ore"; changes "in maxim 48 ore"; on site "in termen de 48 ore lucratoare"
    assert targets(plan) == {
        ("response", True, None, 2, None, None),
        ("response", False, None, 6, None, None),
        ("change", None, None, 48, None, None),
        ("onsite", None, None, 48, None, None),
    }
    # "prioritate maxima"
    assert plan.priority == 1
    # "pana la trei persoane de contact"; "3 numere de telefon dedicate urgentelor"
    assert plan.authorised_contacts_limit == 3
    assert plan.urgent_phone_lines == 3
    # "25 euro/tichet", "60 euro/ora", "40 euro/ora"
    assert_ticket_rates(plan, ticket=D("25"), programming=D("60"), onsite=D("40"))
    assert_platphorma_terms(plan)


def assert_ticket_rates(
    plan: Plan, *, ticket: Decimal, programming: Decimal, onsite: Decimal
) -> None:
    # "Tichetul reprezinta 30 DE MINUTE ... minim 1 tichet, acesta fiind indivizibil"
    remote = rate(plan, "remote_support")
    assert (remote.activity, remote.price_amount, remote.per_minutes, remote.round_to_minutes) == (
        "support",
        ticket,
        30,
        30,
    )
    assert plan.minimum_minutes == 30
    change = rate(plan, "change")  # changes "pe baza tichetelor"
    assert (change.activity, change.price_amount, change.per_minutes) == ("change", ticket, 30)
    prog = rate(plan, "programming")
    assert (prog.activity, prog.mode, prog.price_amount, prog.per_minutes) == (
        "programming",
        "any",
        programming,
        60,
    )
    site = rate(plan, "onsite")
    assert (site.activity, site.mode, site.price_amount, site.per_minutes) == (
        "support",
        "onsite",
        onsite,
        60,
    )


def assert_platphorma_terms(plan: Plan) -> None:
    # "100 euro - ... in municipiul Brasov"; "100 euro + 0.25 euro/km"
    assert plan.travel_in_town_amount == D("100")
    assert plan.travel_out_of_town_amount == D("100")
    assert plan.travel_per_km_amount == D("0.25")
    terms = plan.to_rating_terms()
    assert terms.travel is not None
    # "Tarifele nu includ TVA. Plata se face in lei la cursul BNR + 2%"
    assert plan.currency == "EUR"
    assert plan.fx_markup == D("0.02")
    # "trimise in scris ... email ... formularul de contact"; "Telefonul ... exclusiv pentru
    # urgente"
    assert set(plan.channels) == {"email", "web", "phone"}
    assert plan.is_phone_emergency_only is True
    # "de luni pana vineri in intervalul orar 8:30 - 16:30"; "exceptand sarbatorile legale"
    office = plan.calendar.to_domain()
    bucharest = "Europe/Bucharest"
    assert office.is_working(local("2026-03-02T08:30", bucharest))
    assert not office.is_working(local("2026-03-02T08:29", bucharest))
    assert not office.is_working(local("2026-03-02T16:30", bucharest))
    assert not office.is_working(local("2026-03-07T10:00", bucharest))  # Saturday
    assert not office.is_working(local("2026-12-01T10:00", bucharest))  # national day
    assert plan.calendar.holidays_country == "RO"
