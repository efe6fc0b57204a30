"""Rating worked examples: one story per test, each read like the invoice it produces."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistdesk.domain.allowances import (
    Bucket,
    Debit,
    Entry,
    EntryKind,
    monthly_bucket,
    package_bucket,
)
from assistdesk.domain.errors import SpecError
from assistdesk.domain.money import CENT
from assistdesk.domain.rating import (
    ChargeKind,
    FreeReason,
    Intervention,
    LabourCharge,
    Part,
    Penalties,
    Rate,
    Rating,
    RatingTerms,
    SlaOutcome,
    TicketWork,
    Travel,
    late_response_discount,
    rate_ticket,
)

D = Decimal
TZ = ZoneInfo("Europe/Bucharest")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(UTC)


def office_hours(moment: datetime) -> bool:
    """Mon-Fri 08:30-16:30 in Bucharest: enough of a calendar for these stories."""
    local = moment.astimezone(TZ)
    minute = local.hour * 60 + local.minute
    return local.weekday() < 5 and 8 * 60 + 30 <= minute < 16 * 60 + 30


# Seed 004 "Expert": 25 EUR per 30-minute ticket, 60 EUR/h programming, 40 EUR/h on site.
EXPERT = RatingTerms(
    currency="EUR",
    rates=(
        Rate("remote_support", "support", "remote", D("25"), 30, 30),
        Rate("onsite", "support", "onsite", D("40"), 60, 30),
        Rate("programming", "programming", "any", D("60"), 60, 15),
    ),
    minimum_minutes=30,
    travel=Travel(D("100"), D("100"), D("0.25")),
)
# Seed 003 pay-per-request: real time, 15-minute minimum, x3 and x2 surcharges.
PER_REQUEST = RatingTerms(
    currency="EUR",
    rates=(Rate("remote", "support", "remote", D("60"), 60, 1),),
    minimum_minutes=15,
    coefficients={"out_of_hours": D("3"), "urgent": D("2")},
)
# Seed 001 intervention terms: free when late on site, 20 % per started hour late.
TERMS_001 = RatingTerms(
    currency="EUR",
    rates=(
        Rate("remote", "support", "remote", D("45"), 60, 15),
        Rate("onsite", "support", "onsite", D("55"), 60, 15),
    ),
    minimum_minutes=15,
    travel=Travel(D("25"), D("25"), D("0.50")),
    penalties=Penalties(is_late_onsite_urgent_free=True, late_response_discount_per_hour=D("0.20")),
)


ON_TIME = SlaOutcome()


def work(
    start: str,
    minutes: int,
    mode: str = "remote",
    activity: str = "support",
    **flags: object,
) -> Intervention:
    start_at = at(start)
    return Intervention(
        start_at,
        start_at + timedelta(minutes=minutes),
        mode,
        activity,
        **flags,  # type: ignore[arg-type]
    )


def rate(
    terms: RatingTerms,
    *interventions: Intervention,
    is_urgent: bool = False,
    is_in_town: bool = True,
    sla: SlaOutcome = ON_TIME,
    buckets: tuple[Bucket, ...] = (),
    closed_at: str = "2026-01-30T10:00",
) -> Rating:
    return rate_ticket(
        TicketWork("T", is_urgent, interventions),
        terms,
        is_in_town=is_in_town,
        is_working=office_hours,
        sla=sla,
        buckets=buckets,
        closed_at=at(closed_at),
    )


def labour(rating: Rating) -> list[LabourCharge]:
    return [c for c in rating.charges if isinstance(c, LabourCharge)]


def amounts(rating: Rating) -> list[tuple[str, str]]:
    return [(str(c.kind), str(c.amount)) for c in rating.charges]


def test_minimum_per_request_one_ticket_for_a_ten_minute_call() -> None:
    rating = rate(EXPERT, work("2026-01-12T10:00", 10))
    (line,) = labour(rating)
    assert (line.minutes, line.billed_minutes, line.amount) == (10, 30, D("25.00"))


def test_minimum_per_request_fifteen_minutes_on_real_time() -> None:
    short = rate(PER_REQUEST, work("2026-01-12T10:00", 7))
    assert labour(short)[0].billed_minutes == 15 and short.total_amount == D("15.00")
    assert "minimum per request" in labour(short)[0].explanation
    longer = rate(PER_REQUEST, work("2026-01-12T10:00", 23))
    assert labour(longer)[0].billed_minutes == 23 and longer.total_amount == D("23.00")


def test_minimum_raises_the_first_paying_line_not_a_free_one() -> None:
    rating = rate(
        PER_REQUEST,
        work("2026-01-12T09:00", 40, is_warranty=True),
        work("2026-01-12T10:00", 5),
    )
    free, paid = labour(rating)
    assert (free.billed_minutes, free.amount) == (40, 0)
    assert (paid.billed_minutes, paid.amount) == (15, D("15.00"))


def test_remote_tool_setup_makes_an_intervention_at_least_sixty_minutes() -> None:
    rating = rate(PER_REQUEST, work("2026-01-12T10:00", 25, has_remote_tool_setup=True))
    assert labour(rating)[0].minutes == 60 and rating.total_amount == D("60.00")
    long = rate(PER_REQUEST, work("2026-01-12T10:00", 75, has_remote_tool_setup=True))
    assert labour(long)[0].minutes == 75


def test_the_remote_tool_minimum_is_the_plans() -> None:
    terms = replace(PER_REQUEST, remote_tool_minimum_minutes=45)
    rating = rate(terms, work("2026-01-12T10:00", 25, has_remote_tool_setup=True))
    assert labour(rating)[0].minutes == 45 and rating.total_amount == D("45.00")
    assert "at least 45" in labour(rating)[0].explanation


def test_each_line_is_rounded_up_to_its_rate_unit() -> None:
    rating = rate(
        EXPERT,
        work("2026-01-12T09:00", 40),  # ticket rate: 2 tickets
        work("2026-01-12T11:00", 50, activity="programming"),  # quarter hours: 60
        work("2026-01-13T09:00", 80, mode="onsite"),  # half hours: 90
        is_in_town=False,
    )
    assert [(c.rate_key, c.billed_minutes, str(c.amount)) for c in labour(rating)] == [
        ("remote_support", 60, "50.00"),
        ("programming", 60, "60.00"),
        ("onsite", 90, "60.00"),
    ]
    (travel,) = [c for c in rating.charges if c.kind is ChargeKind.TRAVEL]
    assert travel.amount == D("100.00")  # no km recorded: flat fee only


def test_interventions_of_one_rate_add_up_before_rounding() -> None:
    # Example-01 T2: 120 + 130 min = 250 -> 9 tickets (270), not 4 + 5 = 9 ... nor 10.
    rating = rate(EXPERT, work("2026-01-12T10:00", 120), work("2026-01-13T09:00", 130))
    (line,) = labour(rating)
    assert (line.interventions, line.minutes, line.billed_minutes) == ((1, 2), 250, 270)


def test_coefficients_stack_out_of_hours_urgent_and_the_contracts_own() -> None:
    gold = replace(PER_REQUEST, coefficients={**PER_REQUEST.coefficients, "gold": D("1.5")})
    rating = rate(
        gold,
        work("2026-01-17T10:00", 30),  # Saturday: out of hours x3, urgent x2, gold x1.5
        work("2026-01-19T10:00", 30),  # Monday, office hours: urgent x2, gold x1.5
        is_urgent=True,
    )
    saturday, monday = labour(rating)
    assert saturday.coefficient_names == ("out_of_hours", "urgent", "gold")
    assert (saturday.coefficient, saturday.amount) == (D("9.0"), D("270.00"))
    assert (monday.coefficient, monday.amount) == (D("3.0"), D("90.00"))
    assert "x 9" in saturday.explanation
    assert rating.total_amount == D("360.00")


def test_no_surcharge_for_an_urgent_ticket_when_the_plan_has_no_urgent_coefficient() -> None:
    rating = rate(EXPERT, work("2026-01-20T13:00", 80, mode="onsite"), is_urgent=True)
    assert labour(rating)[0].coefficient == 1


def test_out_of_hours_is_decided_by_the_start_of_the_intervention() -> None:
    rating = rate(
        PER_REQUEST,
        work("2026-01-12T16:00", 60),  # starts in office hours, ends after: x1
        work("2026-01-12T16:30", 20),  # starts at closing time: x3
    )
    assert [c.coefficient for c in labour(rating)] == [1, 3]


def test_allowance_then_package_then_rate() -> None:
    month = monthly_bucket(date(2026, 1, 1), minutes=300, rate_keys={"remote_support"}, tz=TZ)
    month = month.with_entries(Entry(EntryKind.USE, D(-270), at("2026-01-09T10:00")))
    package = package_bucket(
        "remote1", mode="remote", hours=1, purchased_on=date(2026, 1, 2), validity_months=12, tz=TZ
    )
    rating = rate(EXPERT, work("2026-01-26T10:00", 100), buckets=(package, month))
    (line,) = labour(rating)
    assert line.billed_minutes == 120
    assert line.debits == (
        Debit("monthly 2026-01", D(30)),
        Debit("package remote1 2026-01-02", D(60)),
    )
    assert (line.allowance_minutes, line.amount) == (90, D("25.00"))  # 30 min = 1 ticket
    assert rating.debits == line.debits


def test_coefficients_apply_to_the_minutes_taken_from_allowances() -> None:
    package = package_bucket(
        "remote12",
        mode="remote",
        hours=12,
        purchased_on=date(2026, 1, 2),
        validity_months=12,
        tz=TZ,
    )
    rating = rate(PER_REQUEST, work("2026-01-17T10:00", 45), buckets=(package,))  # Saturday
    (line,) = labour(rating)
    assert (line.allowance_minutes, line.amount) == (135, 0)


def test_packages_are_used_first_expiring_first() -> None:
    def remote12(on: str) -> Bucket:
        return package_bucket(
            "remote12",
            mode="remote",
            hours=12,
            purchased_on=date.fromisoformat(on),
            validity_months=12,
            tz=TZ,
        )

    rating = rate(
        EXPERT,
        work("2026-02-18T10:00", 20),
        buckets=(remote12("2026-02-16"), remote12("2025-03-10")),
        closed_at="2026-02-20T09:00",
    )
    assert rating.debits == (Debit("package remote12 2025-03-10", D(30)),)


def test_a_package_counts_if_valid_when_the_ticket_closes() -> None:
    package = package_bucket(
        "remote12",
        mode="remote",
        hours=12,
        purchased_on=date(2025, 1, 28),
        validity_months=12,
        tz=TZ,
    )
    intervention = work("2026-01-26T10:00", 30)
    closed_in_time = rate(EXPERT, intervention, buckets=(package,), closed_at="2026-01-27T10:00")
    assert closed_in_time.total_amount == 0
    closed_after_expiry = rate(
        EXPERT, intervention, buckets=(package,), closed_at="2026-01-28T10:00"
    )
    assert closed_after_expiry.debits == () and closed_after_expiry.total_amount == D("25.00")


def test_warranty_work_costs_nothing_labour_travel_and_parts() -> None:
    rating = rate(
        TERMS_001,
        work(
            "2026-04-21T09:00",
            60,
            mode="onsite",
            is_warranty=True,
            parts=(Part("Fan", D(2), D("12.50")),),
        ),
    )
    assert amounts(rating) == [("labour", "0.00"), ("travel", "0.00"), ("part", "0.00")]
    assert labour(rating)[0].free_reasons == (FreeReason.WARRANTY,)
    assert all("warranty" in c.explanation for c in rating.charges)


def test_the_free_follow_up_of_a_non_resolving_visit() -> None:
    rating = rate(
        TERMS_001,
        work("2026-04-21T09:00", 60, mode="onsite", is_resolved=False),
        work("2026-04-22T09:00", 40, mode="onsite", is_follow_up=True),
    )
    assert amounts(rating) == [
        ("labour", "55.00"),
        ("labour", "0.00"),
        ("travel", "25.00"),
        ("travel", "0.00"),
    ]
    assert "free: free follow-up" in labour(rating)[1].explanation


def test_warranty_and_follow_up_on_one_rate_are_one_free_line() -> None:
    rating = rate(
        TERMS_001,
        work("2026-04-21T09:00", 60, mode="onsite", is_warranty=True, is_resolved=False),
        work("2026-04-22T09:00", 40, mode="onsite", is_follow_up=True),
    )
    (line,) = labour(rating)
    assert (line.minutes, line.billed_minutes, line.amount) == (100, 105, 0)
    assert line.free_reasons == (FreeReason.WARRANTY, FreeReason.FOLLOW_UP)


def test_urgent_ticket_late_on_site_no_labour_no_travel_but_parts() -> None:
    psu = Part("Power supply 650 W", D(1), D("74.90"))
    visit = work("2026-04-13T16:20", 105, mode="onsite", parts=(psu,))
    late = rate(TERMS_001, visit, is_urgent=True, sla=SlaOutcome(is_onsite_late=True))
    assert amounts(late) == [("labour", "0.00"), ("travel", "0.00"), ("part", "74.90")]
    assert labour(late)[0].free_reasons == (FreeReason.LATE_ONSITE,)
    on_time = rate(TERMS_001, visit, is_urgent=True)
    assert on_time.total_amount == D("96.25") + D("25.00") + D("74.90")


def test_late_on_site_is_no_penalty_without_the_plan_term() -> None:
    rating = rate(
        EXPERT,
        work("2026-01-20T13:00", 60, mode="onsite"),
        is_urgent=True,
        sla=SlaOutcome(is_onsite_late=True),
    )
    assert rating.total_amount == D("140.00")


@pytest.mark.parametrize(
    ("late_minutes", "discount"),
    [(0, "0"), (1, "0.20"), (60, "0.20"), (61, "0.40"), (165, "0.60"), (299, "1"), (900, "1")],
)
def test_twenty_percent_per_started_hour_late_at_most_all(late_minutes: int, discount: str) -> None:
    assert late_response_discount(D(late_minutes), D("0.20")) == D(discount)


def test_late_response_discount_applies_after_allowances() -> None:
    # Example-03 N1: 80 min -> 90, 67.50 EUR; 165 working minutes late: 3 started hours.
    n1 = rate(TERMS_001, work("2026-04-07T11:00", 80), sla=SlaOutcome(response_late_minutes=D(165)))
    (line,) = labour(n1)
    assert (line.gross_amount, line.discount, line.discount_amount, line.amount) == (
        D("67.50"),
        D("0.60"),
        D("40.50"),
        D("27.00"),
    )
    assert "less 60 % for the late response 40.50 = 27.00" in line.explanation
    package = package_bucket(
        "remote1", mode="remote", hours=1, purchased_on=date(2026, 4, 1), validity_months=12, tz=TZ
    )
    covered = rate(
        TERMS_001,
        work("2026-04-07T11:00", 80),
        sla=SlaOutcome(response_late_minutes=D(165)),
        buckets=(package,),
        closed_at="2026-04-08T09:00",
    )
    assert labour(covered)[0].amount == D("9.00")  # 60 min from the package, 22.50 less 60 %


def test_travel_is_never_discounted_nor_covered() -> None:
    package = package_bucket(
        "onsite24",
        mode="onsite",
        hours=24,
        purchased_on=date(2026, 4, 1),
        validity_months=12,
        tz=TZ,
    )
    rating = rate(
        TERMS_001,
        work("2026-04-07T11:00", 60, mode="onsite", km=D(30)),
        sla=SlaOutcome(response_late_minutes=D(600)),
        buckets=(package,),
        is_in_town=False,
        closed_at="2026-04-08T09:00",
    )
    assert amounts(rating) == [("labour", "0.00"), ("travel", "40.00")]  # 25 + 0.50 x 30


def test_the_late_response_discount_is_for_non_urgent_tickets() -> None:
    rating = rate(
        TERMS_001,
        work("2026-04-07T11:00", 60),
        is_urgent=True,
        sla=SlaOutcome(response_late_minutes=D(120)),
    )
    assert rating.total_amount == D("45.00")


def test_travel_out_of_town_is_flat_plus_per_km() -> None:
    visit = work("2026-01-20T13:00", 80, mode="onsite", km=D(42))
    rating = rate(EXPERT, visit, is_in_town=False)
    assert amounts(rating)[1] == ("travel", "110.50")
    assert rating.charges[1].explanation.endswith("100 + 0.25 x 42 km = 110.50")
    assert amounts(rate(EXPERT, visit, is_in_town=True))[1] == ("travel", "100.00")


def test_parts_are_quantity_times_price_unless_covered_or_refused() -> None:
    parts = (Part("Cable", D("2.5"), D("3.99")), Part("Disk", D(1), D("60"), is_approved=False))
    visit = work("2026-01-20T13:00", 30, mode="onsite", parts=parts)
    assert amounts(rate(EXPERT, visit))[-2:] == [("part", "9.98"), ("part", "0.00")]
    covered = replace(EXPERT, is_parts_covered=True)
    assert amounts(rate(covered, visit))[-2:] == [("part", "0.00"), ("part", "0.00")]


def test_charges_come_labour_then_travel_then_parts() -> None:
    rating = rate(
        EXPERT,
        work("2026-01-20T09:00", 30, mode="onsite", parts=(Part("Fan", D(1), D("10")),)),
        work("2026-01-21T09:00", 30),
    )
    assert [c.kind for c in rating.charges] == ["labour", "labour", "travel", "part"]


def test_no_matching_rate_is_an_input_error_naming_the_rates() -> None:
    with pytest.raises(SpecError) as error:
        rate(PER_REQUEST, work("2026-01-12T10:00", 30, mode="onsite"))
    assert error.value.key == "rates"
    assert "onsite" in str(error.value)


def test_an_intervention_cannot_end_before_it_starts() -> None:
    with pytest.raises(SpecError) as error:
        work("2026-01-12T10:00", -5)
    assert error.value.key == "end"


def test_a_started_minute_counts() -> None:
    start = at("2026-01-12T10:00")
    iv = Intervention(start, start + timedelta(minutes=7, seconds=1), "remote", "support")
    assert iv.minutes == 8


# --- properties -------------------------------------------------------------------------

MONDAY = at("2026-01-12T00:00")


@st.composite
def interventions(draw: st.DrawFn) -> Intervention:
    start_at = MONDAY + timedelta(minutes=draw(st.integers(0, 7 * 24 * 60)))
    mode = draw(st.sampled_from(["remote", "onsite"]))
    return Intervention(
        start_at,
        start_at + timedelta(minutes=draw(st.integers(0, 600))),
        mode,
        draw(st.sampled_from(["support", "programming"])),
        km=D(draw(st.integers(0, 200))),
        has_remote_tool_setup=draw(st.booleans()),
        is_warranty=draw(st.booleans()),
        is_follow_up=draw(st.booleans()),
        parts=tuple(
            Part("p", D(draw(st.integers(1, 5))), D(draw(st.integers(0, 9999))) / 100)
            for _ in range(draw(st.integers(0, 2)))
        ),
    )


@given(
    st.lists(interventions(), max_size=6),
    st.booleans(),
    st.booleans(),
    st.integers(0, 600),
    st.integers(0, 900),
    st.integers(0, 15),
)
def test_rating_laws(
    ivs: list[Intervention],
    is_urgent: bool,
    is_onsite_late: bool,
    late_minutes: int,
    monthly_left: int,
    package_hours: int,
) -> None:
    terms = replace(
        EXPERT,
        coefficients={"out_of_hours": D("3"), "urgent": D("2"), "gold": D("1.25")},
        penalties=TERMS_001.penalties,
    )
    month = monthly_bucket(
        date(2026, 1, 1), minutes=monthly_left, rate_keys={"remote_support"}, tz=TZ
    )
    package = package_bucket(
        "remote",
        mode="remote",
        hours=package_hours,
        purchased_on=date(2026, 1, 1),
        validity_months=12,
        tz=TZ,
    )
    rating = rate(
        terms,
        *ivs,
        is_urgent=is_urgent,
        sla=SlaOutcome(is_onsite_late=is_onsite_late, response_late_minutes=D(late_minutes)),
        buckets=(month, package),
    )
    assert rating.total_amount == sum(c.amount for c in rating.charges)
    assert all(c.amount >= 0 and c.amount == c.amount.quantize(CENT) for c in rating.charges)
    balances = {month.key: month.balance, package.key: package.balance}
    for debit in rating.debits:
        assert 0 < debit.minutes <= balances[debit.bucket_key]
    for line in labour(rating):
        assert line.billed_minutes >= line.minutes
        assert line.allowance_minutes <= line.billed_minutes * line.coefficient
        if line.is_free:
            assert line.amount == 0 and line.allowance_minutes == 0
    paying = [line for line in labour(rating) if not line.is_free]
    if paying:
        assert sum(line.billed_minutes for line in paying) >= terms.minimum_minutes
