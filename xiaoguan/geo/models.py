"""Models of geo: the bundled cities (loaded from data/cities.csv) and which sales region each province and city belongs to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionOrigin(models.TextChoices):
    """Where a region assignment came from; an admin's choice is never overwritten by inference."""

    NONE = "", _("未设置")
    LEARNED = "learned", _("从现有数据推断")
    ADMIN = "admin", _("管理员")


class ProvinceRegion(models.Model):
    """A province (or municipality / SAR) and the sales region its cities belong to unless a city says otherwise.

    `region` empty: the region is derived from the region teams' names (华东/华南/…) at run time."""

    name = models.CharField(_("省份"), max_length=20, unique=True)
    short_name = models.CharField(_("简称"), max_length=10)
    region = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("大区"), limit_choices_to={"kind": "region"}
    )
    region_origin = models.CharField(_("来源"), max_length=16, choices=RegionOrigin.choices, default=RegionOrigin.NONE, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("省份大区")
        verbose_name_plural = _("省份大区")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class City(models.Model):
    """A prefecture-level city, municipality or directly administered county-level city, with WGS84 coordinates."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("直辖市")
        PREFECTURE = "prefecture", _("地级")
        DIRECT = "direct", _("省直辖县级")
        SAR = "sar", _("特别行政区")

    adcode = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    short_name = models.CharField(_("简称"), max_length=20, db_index=True)
    province = models.ForeignKey(ProvinceRegion, on_delete=models.PROTECT, related_name="cities", verbose_name=_("省份"))
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    pinyin = models.CharField(_("拼音"), max_length=40, blank=True)
    kind = models.CharField(_("级别"), max_length=16, choices=Kind.choices, default=Kind.PREFECTURE)
    region = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("大区"), limit_choices_to={"kind": "region"}
    )
    region_origin = models.CharField(_("来源"), max_length=16, choices=RegionOrigin.choices, default=RegionOrigin.NONE, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("城市")
        verbose_name_plural = _("城市")
        ordering = ["adcode"]

    def __str__(self) -> str:
        return self.name
