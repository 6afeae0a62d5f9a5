from ninja import Schema


class MembershipOut(Schema):
    role: str
    role_label: str
    area_code: str | None
    area_name: str | None
    department_id: int | None
    department_name: str | None


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    is_global: bool
    area_prefixes: list[str]
    department_ids: list[int]
    memberships: list[MembershipOut]
