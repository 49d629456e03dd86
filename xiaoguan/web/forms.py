"""Forms of the pages. They parse and check shapes; the services decide what is allowed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoguan.activities.models import Activity
from xiaoguan.customers.models import Account, Contact
from xiaoguan.leads.models import Lead
from xiaoguan.opportunities.models import Opportunity, Pipeline, Stage
from xiaoguan.org.models import Role, Team, User

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    """The phone's own date-time picker."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


def _blank_first(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


class DateInput(forms.DateInput):
    """The phone's own date picker."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _email_field(label: Any) -> forms.EmailField:
    return forms.EmailField(label=label, required=False, error_messages={"invalid": _("邮箱格式不正确，例如 name@example.com")})


def _money_field(label: Any, *, negative: Any) -> forms.DecimalField:
    """An amount in yuan: not negative, at most two decimals, and one message per way of getting it wrong."""
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_digits=16, decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        error_messages={
            "invalid": _("请输入数字，例如 300000"), "min_value": negative, "max_decimal_places": _("最多两位小数"),
            "max_digits": _("金额太大"), "max_whole_digits": _("金额太大"),
        },
    )


def _follow_up_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("下次跟进"), required=False, widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        error_messages={"invalid": _("请输入正确的日期和时间")},
    )


def _region_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("大区"), queryset=Team.objects.filter(kind=Team.Kind.REGION).order_by("path"), to_field_name="external_id",
        required=False, empty_label=_("（不指定）"), error_messages={"invalid_choice": _("请选择一个大区")},
    )


class EditForm(forms.Form):
    """A record's edit form, pre-filled from the record. The service gets only what the person changed, so a field
    shown rounded (a time without its seconds) or masked (a colleague's phone) is kept as it is unless retyped."""

    @classmethod
    def initial_from(cls, record: Model, **shown: Any) -> dict[str, Any]:
        initial = {name: getattr(record, name) for name in cls.base_fields}
        for name, value in initial.items():
            if isinstance(value, datetime):
                initial[name] = value.replace(second=0, microsecond=0)
            elif isinstance(value, Decimal) and value == value.to_integral_value():
                initial[name] = value.quantize(Decimal(1))  # 800000, not 800000.00
        return {**initial, **shown}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.initial.get("region")
        if "region" in self.fields and isinstance(region, Team):
            # A record filed under a team that is not a region keeps it unless the person picks another.
            regions = Q(kind=Team.Kind.REGION) | Q(pk=region.pk)
            self.fields["region"].queryset = Team.objects.filter(regions).order_by("path")  # type: ignore[attr-defined]

    def changed_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label=_("邮箱"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": _("邮箱或密码不正确。"),
        "inactive": _("该账号已停用。"),
    }


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("邮箱"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("新密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，不能全是数字，不能太常见。"),
    )
    password_again = forms.CharField(label=_("再输入一次"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return data


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("邮箱"))
    name = forms.CharField(label=_("姓名"), max_length=100, required=False, help_text=_("导入过的同事可以不填。"))
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, initial=Role.REP)
    team = forms.ModelChoiceField(label=_("团队"), queryset=Team.objects.none(), required=False, empty_label=_("（不指定）"))
    manager = forms.ModelChoiceField(label=_("直属上级"), queryset=User.objects.none(), required=False, empty_label=_("（不指定）"))

    def __init__(self, *args: Any, teams: Any, managers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]


def _person_label(obj: Any) -> str:
    """"李娜 · 华东大区", with the role when it is not a sales rep: enough to tell namesakes apart."""
    parts = [obj.name, *([str(obj.team)] if obj.team_id else []), *([obj.get_role_display()] if obj.role != Role.REP else [])]
    return " · ".join(parts)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class HandoverForm(forms.Form):
    from_user = UserChoiceField(label=_("离职/转岗人员"), queryset=User.objects.none(), to_field_name="external_id", empty_label=_("请选择"))
    to_users = UserMultipleChoiceField(
        label=_("接收人"), queryset=User.objects.none(), to_field_name="external_id",
        help_text=_("可多选：记录会平均分给接收人，商机跟随其客户。"),
        widget=forms.CheckboxSelectMultiple,
    )
    deactivate = forms.BooleanField(label=_("交接后停用该账号"), required=False)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = users  # type: ignore[attr-defined]
        self.fields["to_users"].queryset = users.filter(is_active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        leaving, receivers = data.get("from_user"), data.get("to_users")
        if leaving is not None and receivers is not None:
            receivers = [u for u in receivers if u.pk != leaving.pk]
            if not receivers:
                self.add_error("to_users", _("接收人不能只有交出人本人。"))
            data["to_users"] = receivers
        return data


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    ALL = "all"
    # No status means the working inbox: the leads still open. "all" includes disqualified and converted ones.
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("未关闭的线索")), (ALL, _("全部状态")), *Lead.Status.choices]
    )
    source = forms.ChoiceField(label=_("来源"), required=False, choices=_blank_first(Lead.Source.choices, _("全部来源")))


class LeadCreateForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    company = forms.CharField(label=_("公司"), max_length=200, required=False)
    phone = forms.CharField(label=_("手机"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    email = forms.EmailField(label=_("邮箱"), required=False)
    source = forms.ChoiceField(label=_("来源"), choices=Lead.Source.choices, initial=Lead.Source.PHONE)
    industry = forms.CharField(label=_("行业"), max_length=50, required=False)
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
    budget = forms.DecimalField(label=_("预算（元）"), required=False, min_value=0, max_digits=16, decimal_places=2)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("name", "").strip() or data.get("company", "").strip()):
            self.add_error("name", _("姓名和公司至少填写一项"))
        return data


class LeadConvertForm(forms.Form):
    MODE_NEW, MODE_EXISTING = "new", "existing"

    mode = forms.ChoiceField(
        label=_("转为"), choices=[(MODE_NEW, _("新客户")), (MODE_EXISTING, _("已有客户"))], initial=MODE_NEW, widget=forms.RadioSelect
    )
    account_name = forms.CharField(label=_("客户名称"), max_length=200, required=False)
    account = forms.CharField(label=_("已有客户"), required=False, widget=forms.HiddenInput)
    create_contact = forms.BooleanField(label=_("同时创建联系人"), required=False, initial=True)
    create_opportunity = forms.BooleanField(label=_("同时创建商机"), required=False, initial=True)
    opportunity_name = forms.CharField(label=_("商机名称"), max_length=200, required=False, help_text=_("不填则用“客户名-产品线”。"))
    product_line = forms.CharField(label=_("产品线"), max_length=100, required=False)
    amount = forms.DecimalField(label=_("金额（元）"), required=False, min_value=0, max_digits=16, decimal_places=2)
    pipeline = forms.ModelChoiceField(label=_("销售流程"), queryset=Pipeline.objects.none(), to_field_name="external_id", empty_label=None)

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = accounts
        self.fields["pipeline"].queryset = Pipeline.objects.order_by("pk")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == self.MODE_EXISTING:
            account = self.accounts.filter(external_id=data.get("account") or "").first()
            if account is None:
                self.add_error("account", _("请选择一个已有客户"))
            data["account"] = account
        else:
            data["account"] = None
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class ContactForm(EditForm):
    name = forms.CharField(label=_("姓名"), max_length=100, error_messages={"required": _("请填写联系人姓名")})
    title = forms.CharField(label=_("职务"), max_length=100, required=False)
    role_in_decision = forms.ChoiceField(label=_("决策角色"), required=False, choices=_blank_first(Contact.DecisionRole.choices, "—"))
    phone = forms.CharField(
        label=pgettext_lazy("contact", "电话"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    email = _email_field(_("邮箱"))
    wechat = forms.CharField(label=_("微信"), max_length=64, required=False)


class LeadEditForm(EditForm):
    name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    company = forms.CharField(label=_("公司"), max_length=200, required=False)
    phone = forms.CharField(label=_("手机"), max_length=32, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    email = _email_field(_("邮箱"))
    source = forms.ChoiceField(label=_("来源"), choices=Lead.Source.choices, error_messages={"invalid_choice": _("请选择来源")})
    industry = forms.CharField(label=_("行业"), max_length=50, required=False)
    region = _region_field()
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
    company_size = forms.ChoiceField(label=_("公司规模"), required=False, choices=_blank_first(Account.Size.choices, "—"))
    budget = _money_field(_("预算（元）"), negative=_("预算不能为负数"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Imported leads may carry a size in their own words; offer it, so saving other fields does not refuse it.
        size = self.initial.get("company_size")
        field = self.fields["company_size"]
        if size and size not in Account.Size.values:
            field.choices = [*field.choices, (size, size)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("name", "").strip() or data.get("company", "").strip()):
            self.add_error("name", _("姓名和公司至少填写一项"))
        return data


class AccountEditForm(EditForm):
    name = forms.CharField(label=_("客户名称"), max_length=200, error_messages={"required": _("请填写客户名称")})
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_blank_first(Account.Kind.choices, "—"))
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=_blank_first(Account.Grade.choices, "—"))
    industry = forms.CharField(label=_("行业"), max_length=50, required=False)
    size = forms.ChoiceField(label=_("规模"), required=False, choices=_blank_first(Account.Size.choices, "—"))
    region = _region_field()
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
    credit_limit = _money_field(_("信用额度（元）"), negative=_("信用额度不能为负数"))
    payment_terms_days = forms.IntegerField(
        label=_("账期（天）"), required=False, min_value=0, max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"}),
        error_messages={
            "invalid": _("账期请填写整数天数"), "min_value": _("账期不能为负数"), "max_value": _("账期最多 %(limit_value)s 天"),
        },
    )
    next_follow_up_at = _follow_up_field()


class OpportunityEditForm(EditForm):
    name = forms.CharField(label=_("商机名称"), max_length=200, error_messages={"required": _("请填写商机名称")})
    product_line = forms.CharField(label=_("产品线"), max_length=100, required=False)
    amount = _money_field(_("金额（元）"), negative=_("金额不能为负数"))
    expected_close = forms.DateField(
        label=_("预计成交"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("请输入正确的日期")},
    )
    next_follow_up_at = _follow_up_field()
    core_need = forms.CharField(label=_("核心诉求"), max_length=300, required=False, widget=forms.TextInput(attrs={"placeholder": _("客户最想解决的问题")}))
    blocker = forms.CharField(label=_("卡点问题"), max_length=300, required=False, widget=forms.TextInput(attrs={"placeholder": _("例如：预算待批、决策人未见")}))


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=_blank_first(Account.Grade.choices, _("全部等级")))


class StageMoveForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("阶段"), queryset=Stage.objects.none(), to_field_name="key", empty_label=None)

    def __init__(self, *args: Any, opportunity: Opportunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = opportunity.pipeline.stages.order_by("position")  # type: ignore[attr-defined]
        self.fields["stage"].error_messages["invalid_choice"] = _("该阶段不属于这个商机的销售流程")

    # Only a manager's override uses it (opportunities/services.py: a reason kept in stage history).
    override_reason = forms.CharField(label=_("越过证据要求的理由（经理）"), max_length=300, required=False)


class LostForm(forms.Form):
    reason = forms.CharField(
        label=_("输单原因"), max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": _("例如：价格高于预算 20%")})
    )
    competitor = forms.CharField(label=_("竞争对手（可选）"), max_length=100, required=False)


class BoardFilterForm(forms.Form):
    pipeline = forms.ModelChoiceField(label=_("销售流程"), queryset=Pipeline.objects.none(), to_field_name="external_id", required=False, empty_label=None)
    owner = forms.ModelChoiceField(label=_("负责人"), queryset=User.objects.none(), to_field_name="external_id", required=False, empty_label=_("全部负责人"))
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pipeline"].queryset = Pipeline.objects.order_by("pk")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


# Kinds offered on the quick log, most used first; the rest stay in the model for imports and integrations.
QUICK_KINDS = (
    Activity.Kind.VISIT, Activity.Kind.CALL, Activity.Kind.WECOM_MESSAGE, Activity.Kind.MEETING,
    Activity.Kind.DEMO, Activity.Kind.CHECK_IN, Activity.Kind.EMAIL, Activity.Kind.NOTE,
)
# Kinds for which the page asks the phone where it is (optional; refused permission is fine).
LOCATED_KINDS = (Activity.Kind.VISIT, Activity.Kind.CHECK_IN)


class ActivityForm(forms.Form):
    """The quick log: five fields (subject, kind, content, when, next follow-up) and an optional position."""

    subject = forms.CharField(label=_("客户/商机"), widget=forms.HiddenInput, error_messages={"required": _("请选择客户或商机")})
    kind = forms.ChoiceField(
        label=_("方式"), choices=[(k.value, k.label) for k in QUICK_KINDS], widget=forms.RadioSelect,
        error_messages={"required": _("请选择跟进方式"), "invalid_choice": _("请选择跟进方式")},
    )
    content = forms.CharField(
        label=_("内容"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("聊了什么、客户的态度、下一步")}),
    )
    occurred_at = forms.DateTimeField(label=_("发生时间"), widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"])
    next_follow_up_at = forms.DateTimeField(
        label=_("下次跟进"), required=False, widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
    )
    lat = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lng = _coordinate(data.get("lat"), 90), _coordinate(data.get("lng"), 180)
        # A position is kept only for visits and check-ins, and only whole; a bad one is dropped, never a reason to refuse.
        if data.get("kind") not in LOCATED_KINDS or lat is None or lng is None:
            lat = lng = None
        data["lat"], data["lng"] = lat, lng
        return data


def _coordinate(value: str | None, limit: int) -> Decimal | None:
    try:
        number = Decimal((value or "").strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > limit:
        return None
    return number.quantize(Decimal("0.000001"))


class TeamFilterForm(forms.Form):
    team = forms.ModelChoiceField(label=_("团队"), queryset=Team.objects.none(), to_field_name="external_id", required=False, empty_label=_("全部团队"))

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)


class LeadPolicyForm(forms.Form):
    """The company-wide lead clock (LeadPolicy with no team)."""

    first_contact_minutes = forms.IntegerField(label=_("首次联系时限（工作分钟）"), min_value=5, max_value=60 * 24 * 5)
    escalate_manager_minutes = forms.IntegerField(label=_("未联系则升级到直属上级（工作分钟）"), min_value=10, max_value=60 * 24 * 10)
    escalate_second_minutes = forms.IntegerField(label=_("仍未联系则升级到上上级（工作分钟）"), min_value=15, max_value=60 * 24 * 20)
    pool_return_days = forms.IntegerField(label=_("未跟进退回公海（天）"), min_value=1, max_value=365)
    pool_claim_daily_limit = forms.IntegerField(label=_("每人每天可领取公海线索（条）"), min_value=0, max_value=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, manager, second = (data.get(k) for k in ("first_contact_minutes", "escalate_manager_minutes", "escalate_second_minutes"))
        if None not in (first, manager, second) and not (first < manager < second):  # type: ignore[operator]
            raise forms.ValidationError(_("时限应依次递增：首次联系 < 升级到直属上级 < 升级到上上级"))
        return data
