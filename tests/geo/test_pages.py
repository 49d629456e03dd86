"""The city/region page: cities grouped by province, region per province and per city, learn from existing data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories.org import UserFactory
from tests.factories.sales import LeadFactory
from xiaoguan.geo.models import City, ProvinceRegion, RegionOrigin
from xiaoguan.geo.selectors import region_for_city
from xiaoguan.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(login):  # type: ignore[no-untyped-def]
    return login(UserFactory(role=Role.ADMIN))


def test_reps_are_refused(login):
    assert login(UserFactory(role=Role.REP)).get(reverse("web:geo_cities")).status_code == 403


def test_page_lists_provinces_cities_and_current_regions(admin, regions):
    page = admin.get(reverse("web:geo_cities"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "江苏省" in text and "苏州市" in text and "320500" in text
    assert text.count("<details class=\"card\" id=\"province-") == 33
    assert "华东大区" in text


def test_admin_sets_a_province_and_a_city(admin, regions):
    jiangxi = ProvinceRegion.objects.get(name="江西省")
    xiamen = City.objects.get(short_name="厦门")
    response = admin.post(reverse("web:geo_cities"), {
        f"province-{jiangxi.pk}": str(regions["R-CENTRAL"].pk), f"city-{xiamen.pk}": str(regions["R-SOUTH"].pk),
    })
    assert response.status_code == 302
    assert region_for_city("南昌") == regions["R-CENTRAL"].pk
    assert region_for_city("厦门") == regions["R-SOUTH"].pk
    assert region_for_city("福州") == regions["R-EAST"].pk
    jiangxi.refresh_from_db()
    assert jiangxi.region_origin == RegionOrigin.ADMIN


def test_learn_button(admin, regions):
    central = regions["R-CENTRAL"]
    owner = UserFactory(team=central)
    for _ in range(4):
        LeadFactory(owner=owner, city="南昌", region=central)
    LeadFactory(owner=owner, city="火星基地", region=central)
    page = admin.post(reverse("web:geo_cities_learn"), follow=True)
    text = page.content.decode()
    assert "1 个省份" in text and "火星基地" in text
    assert region_for_city("南昌") == central.pk


def test_english_page(admin, regions):
    text = admin.get(reverse("web:geo_cities"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Cities and regions" in text and "Learn from existing data" in text
