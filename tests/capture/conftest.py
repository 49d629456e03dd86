"""A small organisation for the capture tests, a routing rule that sends every new lead to one rep, and helpers that
sign and encrypt callbacks the way WeCom and DingTalk do."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.core.cache import cache

from tests.factories.org import TeamFactory, UserFactory
from xiaoguan.capture import crypto
from xiaoguan.org.models import Role, Team, User
from xiaoguan.routing.models import RoutingRule

NOW = "2025-11-03 10:00"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(clock: Any) -> None:
    # Rate-limit windows follow the injectable clock: frozen here, a burst never straddles two windows by chance.
    cache.clear()
    clock.set(NOW)


@dataclass
class Org:
    east: Team
    admin: User
    manager: User
    rep: User
    rep2: User
    router_rep: User


@pytest.fixture
def org(db: Any) -> Org:
    company = TeamFactory(name="销售中心", kind=Team.Kind.COMPANY)
    east = TeamFactory(name="华东大区", kind=Team.Kind.REGION, parent=company)
    admin = UserFactory(name="管理员", role=Role.ADMIN, team=company, email="admin@example.cn")
    manager = UserFactory(name="王经理", role=Role.MANAGER, team=east)
    rep = UserFactory(name="张三", role=Role.REP, team=east, manager=manager, phone="13800000001", wecom_userid="zhangsan")
    rep2 = UserFactory(name="李四", role=Role.REP, team=east, manager=manager, phone="13800000002")
    router_rep = UserFactory(name="赵六", role=Role.REP, team=east, manager=manager)
    return Org(east, admin, manager, rep, rep2, router_rep)


@pytest.fixture
def routed_to(org: Org, clock: Any) -> User:
    """Every lead the rules route goes to 赵六."""
    now = clock.at(NOW)
    RoutingRule.objects.create(name="全部", position=0, conditions={}, target_rep_ids=[org.router_rep.pk], created_at=now, updated_at=now)
    return org.router_rep


@pytest.fixture
def now(clock: Any) -> datetime:
    return clock.set(NOW)


def aes_key_new() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def signed(*, token: str, aes_key: str, receive_id: str, message: bytes, timestamp: str = "1730600000", nonce: str = "n0nce") -> dict[str, str]:
    """What the platform sends: the encrypted message and the signature over it."""
    encrypted = crypto.encrypt(encoding_aes_key=aes_key, message=message, receive_id=receive_id)
    return {
        "encrypt": encrypted, "timestamp": timestamp, "nonce": nonce,
        "msg_signature": crypto.signature(token=token, timestamp=timestamp, nonce=nonce, encrypt=encrypted),
    }
