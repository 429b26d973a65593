"""Public holidays of Malaysia (by state) and Indonesia on the SLA clock (leads/sla.py), the
schedule's named states (validated in the admin) and business time in the reports.

Every date comes from the `holidays` package itself, so a case that names the wrong day
fails: Hari Raya Aidilfitri 2026 is Friday 20 March (the extra day) to Monday 23 March
(the second day, observed) nationwide, and Johor adds Tuesday 24 March; Federal Territory
Day (1 February) is a holiday in Kuala Lumpur, not in Selangor."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine

from leads import sla
from leads.models import Lead
from reports import business_time
from routing.models import BusinessSchedule

KL = ZoneInfo("Asia/Kuala_Lumpur")
JAKARTA = ZoneInfo("Asia/Jakarta")
HOT = timedelta(minutes=3)


def kl(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KL)


def test_it_reads_the_dates_it_relies_on_from_the_holidays_package():
    national = holidays.country_holidays("MY", years=2026)
    assert {date(2026, 3, 20), date(2026, 3, 23)} <= set(national)
    assert date(2026, 3, 24) not in national
    assert date(2026, 3, 24) in holidays.country_holidays("MY", subdiv="JHR", years=2026)
    assert date(2027, 2, 1) in holidays.country_holidays("MY", subdiv="KUL", years=2027)
    assert date(2027, 2, 1) not in holidays.country_holidays("MY", subdiv="SGR", years=2027)
    assert date(2026, 3, 19) in holidays.country_holidays("ID", years=2026)  # Nyepi, the Day of Silence


class TestSubdivisionNames:
    @pytest.mark.parametrize(
        ("region", "code"),
        [
            ("KUL", "14"),
            ("Kuala Lumpur", "14"),
            ("wilayah persekutuan kuala lumpur", "14"),
            ("MY-14", "14"),
            ("Johor", "01"),
            (" selangor ", "10"),
            ("Pulau Pinang", "07"),
            ("Atlantis", ""),
            ("", ""),
        ],
    )
    def test_it_finds_a_malaysian_state_in_the_leads_region(self, region, code):
        assert sla.subdivision_of("MY", region) == code

    def test_it_ignores_regions_of_countries_not_listed(self, settings):
        assert sla.subdivision_of("US", "NY") == ""
        settings.LEADOPS_REGIONAL_HOLIDAY_COUNTRIES = ["MY", "US"]
        assert sla.subdivision_of("US", "NY") == "NY"

    def test_it_says_which_codes_exist_for_an_unknown_state(self):
        with pytest.raises(
            ValueError, match=r"unknown subdivision of MY\. Known: MY-01 \(JHR, Johor\), .*MY-14 \(KUL, "
        ):
            sla.parse_holiday_area("MY-XYZ")
        with pytest.raises(ValueError, match="no subdivisions for ID"):
            sla.parse_holiday_area("ID-JK")
        with pytest.raises(ValueError, match="not a country"):
            sla.parse_holiday_area("ZZ-1")
        assert sla.parse_holiday_area("my-Selangor") == ("MY", "10")


class TestTheClock:
    def calendar(self, subdivision=""):
        return sla.BusinessCalendar(
            weekly_hours=sla.STANDARD_WEEK, holiday_country="MY", holiday_subdivision=subdivision
        )

    def test_it_moves_a_lead_from_the_evening_before_hari_raya_past_the_holiday(self):
        # Thursday 19 March 2026, 20:00 in Kuala Lumpur: Friday is the extra Hari Raya day,
        # then the weekend, then Monday the observed second day.
        due = sla.add_business_time(kl("2026-03-19 20:00"), HOT, self.calendar("14"), KL)
        assert due == kl("2026-03-24 09:03")

    def test_it_adds_johors_own_day_off_after_hari_raya(self):
        due = sla.add_business_time(kl("2026-03-19 20:00"), HOT, self.calendar("01"), KL)
        assert due == kl("2026-03-25 09:03")

    def test_it_counts_federal_territory_day_in_kuala_lumpur_only(self):
        friday_evening = kl("2027-01-29 20:00")
        assert sla.add_business_time(friday_evening, HOT, self.calendar("14"), KL) == kl("2027-02-02 09:03")
        assert sla.add_business_time(friday_evening, HOT, self.calendar("10"), KL) == kl("2027-02-01 09:03")
        assert sla.add_business_time(friday_evening, HOT, self.calendar(""), KL) == kl("2027-02-01 09:03")

    def test_it_skips_indonesian_holidays(self):
        calendar = sla.BusinessCalendar(weekly_hours=sla.STANDARD_WEEK, holiday_country="ID")
        # Wednesday 18 March 2026, 20:00 in Jakarta: Thursday is Nyepi, Friday a working day.
        start = datetime(2026, 3, 18, 20, 0, tzinfo=JAKARTA)
        assert sla.add_business_time(start, HOT, calendar, JAKARTA) == datetime(2026, 3, 20, 9, 3, tzinfo=JAKARTA)


@pytest.mark.django_db
class TestSchedules:
    def test_it_prefers_the_leads_own_state_then_the_schedules(self):
        schedule = BusinessSchedule.objects.prefetch_related("hours", "closed_days").get(is_default=True)
        schedule.holiday_subdivisions = ["MY-Selangor"]
        assert sla.calendar_from_schedule(schedule, "MY", "Kuala Lumpur").holiday_subdivision == "14"
        assert sla.calendar_from_schedule(schedule, "MY", "").holiday_subdivision == "10"
        assert sla.calendar_from_schedule(schedule, "MY", "Atlantis").holiday_subdivision == "10"
        assert sla.calendar_from_schedule(schedule, "ID", "Bali").holiday_subdivision == ""

    def test_the_admin_refuses_an_unknown_state_with_a_sentence(self, client, manager):
        manager.is_superuser = True
        manager.save()
        client.force_login(manager)
        schedule = BusinessSchedule.objects.get(is_default=True)
        page = f"/admin/routing/businessschedule/{schedule.pk}/change/"
        form = {
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "observe_public_holidays": "on",
            "is_default": "on",
            "hours-TOTAL_FORMS": "0",
            "hours-INITIAL_FORMS": "0",
            "closed_days-TOTAL_FORMS": "0",
            "closed_days-INITIAL_FORMS": "0",
        }
        for field, value in (("hours", schedule.hours), ("closed_days", schedule.closed_days)):
            rows = list(value.all())
            form[f"{field}-TOTAL_FORMS"] = form[f"{field}-INITIAL_FORMS"] = str(len(rows))
            for index, row in enumerate(rows):
                form[f"{field}-{index}-id"] = str(row.pk)
                form[f"{field}-{index}-schedule"] = str(schedule.pk)
                if field == "hours":
                    form.update({f"hours-{index}-weekday": str(row.weekday), f"hours-{index}-opens": "09:00"})
                    form[f"hours-{index}-closes"] = "17:00"
                else:
                    form.update({f"closed_days-{index}-date": row.date.isoformat()})

        response = client.post(page, {**form, "holiday_subdivisions": json.dumps(["MY-Gotham", "ID-JK"])})
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["holiday_subdivisions"]
        assert any("unknown subdivision of MY" in error and "MY-14" in error for error in errors)
        assert any("no subdivisions for ID" in error for error in errors)
        schedule.refresh_from_db()
        assert schedule.holiday_subdivisions == []

        response = client.post(page, {**form, "holiday_subdivisions": json.dumps(["MY-KUL", "MY-10"])})
        assert response.status_code == 200
        assert "one subdivision per country" in str(response.context["adminform"].form.errors)

        response = client.post(page, {**form, "holiday_subdivisions": json.dumps(["MY-KUL"])})
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        schedule.refresh_from_db()
        assert schedule.holiday_subdivisions == ["MY-KUL"]


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")
class TestIntake:
    LEAD = {"inquiry_type": "demo_request", "country": "MY", "timezone": "Asia/Kuala_Lumpur", "source": "organic"}

    def post(self, client, key, **fields):
        body = {
            **self.LEAD,
            "email": f"lead{len(fields)}{fields.get('region', '')}@kedai.my".replace(" ", ""),
            **fields,
        }
        response = client.post(
            "/api/v1/leads", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        assert response.status_code == 201, response.content
        return response.json()

    def test_a_lead_in_kuala_lumpur_the_evening_before_hari_raya_is_due_after_it(self, client, intake_key):
        with time_machine.travel(kl("2026-03-19 20:00"), tick=False):
            body = self.post(client, intake_key, region="Kuala Lumpur")
        assert body["sla"]["after_hours"] is True
        assert datetime.fromisoformat(body["sla"]["first_contact_by"]) == kl("2026-03-24 09:03")

    def test_a_state_holiday_holds_the_clock_in_one_state_and_not_the_next(self, client, intake_key):
        with time_machine.travel(kl("2027-01-29 20:00"), tick=False):
            kuala_lumpur = self.post(client, intake_key, region="KUL")
            selangor = self.post(client, intake_key, region="Selangor", phone="+60 12 345 6789")
        assert datetime.fromisoformat(kuala_lumpur["sla"]["first_contact_by"]) == kl("2027-02-02 09:03")
        assert datetime.fromisoformat(selangor["sla"]["first_contact_by"]) == kl("2027-02-01 09:03")

    def test_business_time_in_the_reports_skips_the_state_holiday(self, client, intake_key):
        with time_machine.travel(kl("2027-01-29 16:00"), tick=False):
            kuala_lumpur = self.post(client, intake_key, region="KUL")
            selangor = self.post(client, intake_key, region="Selangor", phone="+60 12 345 6789")
        # Both first attempted Tuesday 10:00: KL was closed on Monday, Selangor was not.
        attempted_at = kl("2027-02-02 10:00")
        Lead.objects.filter(pk__in=[kuala_lumpur["id"], selangor["id"]]).update(first_attempt_at=attempted_at)
        one_hour_friday, monday = 3600, 8 * 3600
        for lead_id, expected in (
            (kuala_lumpur["id"], one_hour_friday + 3600),
            (selangor["id"], one_hour_friday + monday + 3600),
        ):
            mean = business_time.business_mean(Lead.objects.filter(pk=lead_id))
            assert mean == pytest.approx(expected)
