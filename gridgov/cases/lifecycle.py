"""The transition table of the closed loop (pure: no database).

This is the only place that says which action may follow which state and who may take it.
Actions in actions.py ask `check_transition` first and change nothing when it refuses.

    reported ─register→ registered ─dispatch/whistle→ dispatched ─sign→ in_progress ─report_done→ handled
       │                   │  └─handle_locally→ in_progress            │                          │
       └─void→ voided       └─void→ voided          return ←────────────┘                          │
    handled ─check_pass→ checked ─close→ closed ─rate→ rated;  handled ─check_fail→ dispatched (rework)
    suspension: in_progress/dispatched ─approve_suspension→ suspended ─resume→ in_progress
    escalate: from any open state one level up (grid → community → street → district), back to registered
    a dissatisfied rating reopens the case (closed → registered)
"""

from dataclasses import dataclass
from enum import StrEnum

from gridgov.cases.errors import RoleNotAllowed, TransitionNotAllowed


class Action(StrEnum):
    REPORT = "report"
    VERIFY = "verify"  # 核实
    REGISTER = "register"  # 立案
    VOID = "void"  # 作废
    MERGE = "merge"  # 合并重复
    ME_TOO = "me_too"  # 我也遇到
    HANDLE_LOCALLY = "handle_locally"  # 自行处置
    DISPATCH = "dispatch"  # 派遣
    WHISTLE = "whistle"  # 吹哨
    SIGN = "sign"  # 签收
    RETURN = "return"  # 回退
    REPORT_DONE = "report_done"  # 处置反馈
    CHECK_PASS = "check_pass"  # 核查通过
    CHECK_FAIL = "check_fail"  # 核查不通过, 返工
    CLOSE = "close"  # 结案
    RATE = "rate"  # 评价
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    DECIDE_EXTENSION = "decide_extension"
    REQUEST_SUSPENSION = "request_suspension"  # 申请挂账
    DECIDE_SUSPENSION = "decide_suspension"
    RESUME = "resume"  # 解除挂账
    ESCALATE = "escalate"  # 上报
    SUPERVISE = "supervise"  # 督办


# Roles, as in gridgov.accounts.models.Role; "system" is the scheduler acting on a missed limit.
RESIDENT = "resident"
GRID_WORKER = "grid_worker"
GRID_LEADER = "grid_leader"
COMMUNITY_WORKER = "community_worker"
INTAKE_CLERK = "intake_clerk"
DISPATCHER = "dispatcher"
DEPARTMENT_HANDLER = "department_handler"
LEADER = "leader"
ADMINISTRATOR = "administrator"
SYSTEM = "system"

GRID_STAFF = frozenset({GRID_WORKER, GRID_LEADER, COMMUNITY_WORKER})
CENTRE_STAFF = frozenset({INTAKE_CLERK, DISPATCHER, LEADER})

REPORTED = "reported"
REGISTERED = "registered"
DISPATCHED = "dispatched"
IN_PROGRESS = "in_progress"
HANDLED = "handled"
CHECKED = "checked"
CLOSED = "closed"
RATED = "rated"
SUSPENDED = "suspended"
VOIDED = "voided"
MERGED = "merged"

OPEN = frozenset({REPORTED, REGISTERED, DISPATCHED, IN_PROGRESS, HANDLED, CHECKED, SUSPENDED})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    # None: the state stays, or the action decides between documented outcomes (see `outcomes`).
    target: str | None
    roles: frozenset[str]
    outcomes: frozenset[str] = frozenset()


def _t(
    sources: set[str] | frozenset[str], target: str | None, roles: set[str] | frozenset[str], *outcomes: str
) -> Transition:
    return Transition(frozenset(sources), target, frozenset(roles) | {ADMINISTRATOR}, frozenset(outcomes))


TRANSITIONS: dict[Action, Transition] = {
    Action.VERIFY: _t({REPORTED}, None, GRID_STAFF),
    Action.REGISTER: _t({REPORTED}, REGISTERED, CENTRE_STAFF | GRID_STAFF),
    Action.VOID: _t({REPORTED, REGISTERED}, VOIDED, CENTRE_STAFF),
    Action.MERGE: _t({REPORTED, REGISTERED}, MERGED, CENTRE_STAFF),
    Action.ME_TOO: _t(OPEN - {SUSPENDED}, None, {RESIDENT} | GRID_STAFF | CENTRE_STAFF),
    Action.HANDLE_LOCALLY: _t({REGISTERED}, IN_PROGRESS, GRID_STAFF | {LEADER}),
    Action.DISPATCH: _t({REGISTERED}, DISPATCHED, {DISPATCHER, LEADER}),
    Action.WHISTLE: _t(
        {REGISTERED, IN_PROGRESS}, DISPATCHED, {COMMUNITY_WORKER, GRID_LEADER, DISPATCHER, LEADER}
    ),
    Action.SIGN: _t({DISPATCHED, IN_PROGRESS}, IN_PROGRESS, {DEPARTMENT_HANDLER}),
    # A return leaves the case with its other departments, or sends it back for a new dispatch.
    Action.RETURN: _t(
        {DISPATCHED, IN_PROGRESS}, None, {DEPARTMENT_HANDLER}, DISPATCHED, IN_PROGRESS, REGISTERED
    ),
    # Done when the last open task is done (or the grid/community handled it itself).
    Action.REPORT_DONE: _t(
        {IN_PROGRESS}, None, {DEPARTMENT_HANDLER} | GRID_STAFF | {LEADER}, IN_PROGRESS, HANDLED
    ),
    Action.CHECK_PASS: _t({HANDLED}, CHECKED, GRID_STAFF | CENTRE_STAFF),
    Action.CHECK_FAIL: _t({HANDLED}, None, GRID_STAFF | CENTRE_STAFF, DISPATCHED, IN_PROGRESS),
    Action.CLOSE: _t({CHECKED}, CLOSED, {LEADER, INTAKE_CLERK}),
    # Satisfied → rated; not satisfied → the case is reopened for a new dispatch.
    Action.RATE: _t({CLOSED}, None, {RESIDENT, INTAKE_CLERK}, RATED, REGISTERED),
    Action.REQUEST_EXTENSION: _t({DISPATCHED, IN_PROGRESS}, None, {DEPARTMENT_HANDLER} | GRID_STAFF),
    Action.DECIDE_EXTENSION: _t({DISPATCHED, IN_PROGRESS}, None, {LEADER}),
    Action.REQUEST_SUSPENSION: _t({DISPATCHED, IN_PROGRESS}, None, {DEPARTMENT_HANDLER} | GRID_STAFF),
    Action.DECIDE_SUSPENSION: _t({DISPATCHED, IN_PROGRESS}, None, {LEADER}, SUSPENDED),
    Action.RESUME: _t({SUSPENDED}, IN_PROGRESS, {LEADER}),
    Action.ESCALATE: _t(
        {REPORTED, REGISTERED, DISPATCHED, IN_PROGRESS},
        None,
        GRID_STAFF | CENTRE_STAFF | {DEPARTMENT_HANDLER, SYSTEM},
        REPORTED,
        REGISTERED,
    ),
    Action.SUPERVISE: _t(OPEN, None, {LEADER}),
}


def check_transition(action: Action, status: str, roles: frozenset[str] | set[str]) -> Transition:
    """The transition for `action` from `status` by someone with `roles`, or a refusal."""
    transition = TRANSITIONS[action]
    if status not in transition.sources:
        raise TransitionNotAllowed(details={"action": action.value, "status": status})
    if not (set(roles) & transition.roles):
        raise RoleNotAllowed(details={"action": action.value, "roles": sorted(roles)})
    return transition


def allowed_actions(status: str, roles: frozenset[str] | set[str]) -> list[Action]:
    """What a user with `roles` may do to a case in `status` (for buttons and the API)."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if status in transition.sources and set(roles) & transition.roles
    ]
