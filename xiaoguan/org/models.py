"""People and the team tree: who reports to whom decides who sees what (see org/visibility.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiaoguan.core.models import ExternalIdModel
from xiaoguan.core.process_cache import process_caches_clear


class Role(models.TextChoices):
    REP = "rep", _("销售代表")
    MANAGER = "manager", _("区域经理")
    DIRECTOR = "director", _("销售总监")
    FINANCE = "finance", _("财务")
    LEGAL = "legal", _("法务")
    COMPLIANCE = "compliance", _("合规")
    ENGINEER = "engineer", _("工程师")
    ADMIN = "admin", _("管理员")


class Team(ExternalIdModel):
    """company → region → optional team. `path` ("/1/4/9/") makes a subtree one indexed prefix query."""

    EXTERNAL_PREFIX = "T"

    class Kind(models.TextChoices):
        COMPANY = "company", _("公司")
        REGION = "region", _("大区")
        TEAM = "team", _("小组")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级"))
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        verbose_name = _("团队")
        verbose_name_plural = _("团队")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        team_paths_rebuild()
        self.path = Team.objects.values_list("path", flat=True).get(pk=self.pk)

    def region(self) -> Team | None:
        """The region this team sits in (itself when it is one)."""
        node: Team | None = self
        while node is not None and node.kind != Team.Kind.REGION:
            node = node.parent
        return node


def team_paths_rebuild() -> None:
    """Recompute every team's path from the parent links. Teams are few; bulk loaders call this once."""
    teams = {t.pk: t for t in Team.objects.only("pk", "parent_id", "path")}
    paths: dict[int, str] = {}

    def path_of(pk: int, seen: frozenset[int] = frozenset()) -> str:
        if pk in paths:
            return paths[pk]
        parent_id = teams[pk].parent_id
        prefix = "/" if parent_id is None or parent_id in seen else path_of(parent_id, seen | {pk})
        paths[pk] = f"{prefix}{pk}/"
        return paths[pk]

    for pk, team in teams.items():
        if path_of(pk) != team.path:
            Team.objects.filter(pk=pk).update(path=paths[pk])
    process_caches_clear()  # the tree changed without save signals: per-process copies of it are stale


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email) if email else None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("name", email.split("@")[0])
        return self.create_user(email, password, **extra)


class User(ExternalIdModel, AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail. Imported users have no usable password until invited."""

    EXTERNAL_PREFIX = "U"

    email = models.EmailField(_("邮箱"), unique=True, null=True, blank=True)
    name = models.CharField(_("姓名"), max_length=100)
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("团队"))
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports", verbose_name=_("直属上级"))
    hired_on = models.DateField(_("入职日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    is_staff = models.BooleanField(_("可进入后台"), default=False)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    # Work-notice addresses: a message to one person reaches their phone through the company's WeCom / DingTalk app.
    wecom_userid = models.CharField(_("企业微信账号"), max_length=64, blank=True)
    dingtalk_userid = models.CharField(_("钉钉账号"), max_length=64, blank=True)
    date_joined = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[misc]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or (self.email or self.external_id)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class Assignment(models.Model):
    """A record handed to someone outside the sales line (legal, compliance, engineer) so they may see it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.BigIntegerField()
    assigned_at = models.DateTimeField()

    class Meta:
        verbose_name = _("指派")
        verbose_name_plural = _("指派")
        constraints = [models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.content_type_id}:{self.object_id}"


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
