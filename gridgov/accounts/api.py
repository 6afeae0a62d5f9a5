from django.http import HttpRequest
from ninja import Router

from gridgov.accounts.models import User
from gridgov.accounts.queries import get_scope, memberships_of, roles_of
from gridgov.accounts.schemas import MembershipOut, MeOut

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, summary="The caller, their roles and data scope")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)
    scope = get_scope(user)
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        roles=roles_of(user),
        is_global=scope.is_global,
        area_prefixes=sorted(scope.area_prefixes),
        department_ids=sorted(scope.department_ids),
        memberships=[
            MembershipOut(
                role=m.role,
                role_label=str(m.get_role_display()),
                area_code=m.area_id,
                area_name=m.area.name if m.area else None,
                department_id=m.department_id,
                department_name=m.department.name if m.department else None,
            )
            for m in memberships_of(user)
        ],
    )
