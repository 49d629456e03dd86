from __future__ import annotations

from django.db.models import QuerySet

from xiaoguan.engagement.models import TouchEvent
from xiaoguan.org.models import User
from xiaoguan.org.visibility import owner_scope, scope_apply


def touch_event_list_visible_to(*, user: User) -> QuerySet[TouchEvent]:
    """Touch events on accounts the user may see as owner or manager."""
    return scope_apply(TouchEvent.objects.select_related("contact"), owner_scope(user=user, owner_field="account__owner"))
