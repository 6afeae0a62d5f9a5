"""The pure transition table: who may do what in which state."""

import pytest

from gridgov.cases import lifecycle, routing
from gridgov.cases.errors import RoleNotAllowed, TransitionNotAllowed
from gridgov.cases.lifecycle import Action, check_transition


@pytest.mark.parametrize(
    ("action", "status", "role", "target"),
    [
        (Action.REGISTER, "reported", "intake_clerk", "registered"),
        (Action.VOID, "registered", "dispatcher", "voided"),
        (Action.DISPATCH, "registered", "dispatcher", "dispatched"),
        (Action.HANDLE_LOCALLY, "registered", "grid_worker", "in_progress"),
        (Action.WHISTLE, "registered", "community_worker", "dispatched"),
        (Action.SIGN, "dispatched", "department_handler", "in_progress"),
        (Action.CHECK_PASS, "handled", "grid_worker", "checked"),
        (Action.CLOSE, "checked", "leader", "closed"),
        (Action.RESUME, "suspended", "leader", "in_progress"),
        (Action.MERGE, "reported", "intake_clerk", "merged"),
    ],
)
def test_allowed_transitions_have_their_target(action: Action, status: str, role: str, target: str) -> None:
    assert check_transition(action, status, {role}).target == target


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.DISPATCH, "reported"),  # must be registered first
        (Action.SIGN, "registered"),
        (Action.CLOSE, "handled"),  # must be checked first
        (Action.RATE, "checked"),
        (Action.ESCALATE, "closed"),
        (Action.VOID, "dispatched"),
        (Action.REGISTER, "voided"),
    ],
)
def test_wrong_state_is_refused(action: Action, status: str) -> None:
    with pytest.raises(TransitionNotAllowed):
        check_transition(action, status, {"administrator"})


@pytest.mark.parametrize(
    ("action", "status", "role"),
    [
        (Action.DISPATCH, "registered", "grid_worker"),
        (Action.SIGN, "dispatched", "dispatcher"),
        (Action.CLOSE, "checked", "grid_worker"),
        (Action.DECIDE_EXTENSION, "in_progress", "department_handler"),
        (Action.REGISTER, "reported", "resident"),
        (Action.RATE, "closed", "department_handler"),
    ],
)
def test_wrong_role_is_refused(action: Action, status: str, role: str) -> None:
    with pytest.raises(RoleNotAllowed):
        check_transition(action, status, {role})


def test_every_state_is_reachable_and_every_open_state_has_an_exit() -> None:
    targets = {t.target for t in lifecycle.TRANSITIONS.values() if t.target} | {
        o for t in lifecycle.TRANSITIONS.values() for o in t.outcomes
    }
    assert targets | {"reported"} >= lifecycle.OPEN | {"closed", "rated", "voided", "merged"}
    for status in lifecycle.OPEN:
        assert lifecycle.allowed_actions(status, {"administrator"}), status


def test_allowed_actions_for_a_department_handler_on_a_dispatched_case() -> None:
    assert lifecycle.allowed_actions("dispatched", {"department_handler"}) == [
        Action.SIGN,
        Action.RETURN,
        Action.REQUEST_EXTENSION,
        Action.REQUEST_SUSPENSION,
        Action.ESCALATE,
    ]


def test_escalation_ladder_stops_at_the_district() -> None:
    assert [routing.next_level(level) for level in routing.LADDER] == [
        "community",
        "street",
        "district",
        None,
    ]


def test_start_level_is_never_below_the_located_area() -> None:
    assert routing.start_level("grid", "grid") == "grid"
    assert routing.start_level("street", "grid") == "street"
    assert routing.start_level("grid", "street") == "street"


def test_unit_proposal_falls_back_to_the_territorial_level() -> None:
    found = routing.propose_unit("district", ["housing", "urban-management"], {"urban-management": [7, 9]})
    assert found == routing.Proposal("district", (7,), "catalogue")
    assert routing.propose_unit("street", ["housing"], {}) == routing.Proposal("street", (), "territorial")
