"""The state machine walks the contract's whole table: every allowed move works, every other is refused.

Each (state, action) pair is applied through the function of ``competition.transitions`` that
performs that action, on a submission put in the state directly in the database. A refused
move must raise and leave the row exactly as it was.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from competition import transitions
from competition.models import Submission
from competition.transitions import TransitionRefused, locked
from compute_worker.protocol import TRANSITIONS, Action, FailureReason, ResultReport, Status, StatusReport

pytestmark = pytest.mark.django_db

#: How each action is performed on a locked submission.
PERFORM = {
    Action.QUEUE: transitions.mark_queued,
    Action.START: lambda s: transitions.apply_status(s, StatusReport(status=Status.RUNNING)),
    Action.SCORE: lambda s: transitions.apply_status(s, StatusReport(status=Status.SCORING)),
    Action.FINISH: lambda s: transitions.apply_result(s, ResultReport(status=Status.FINISHED,
                                                                      scores={"accuracy": 0.5})),
    Action.FAIL: lambda s: transitions.fail(s, FailureReason.WORKER_LOST, "lost"),
    Action.CANCEL: transitions.cancel,
    Action.RERUN: transitions.rerun,
}


#: A report repeating the state it already caused is not a move: a heartbeat or a no-op (tested below).
REPEATS = {(Status.RUNNING, Action.START), (Status.SCORING, Action.SCORE), (Status.FINISHED, Action.FINISH)}


def row(pk: int) -> dict:
    """Every column of the submission's row."""
    submission = Submission.objects.get(pk=pk)
    return {f.attname: getattr(submission, f.attname) for f in Submission._meta.concrete_fields}


def test_the_table_names_only_known_states_and_actions() -> None:
    assert set(PERFORM) == set(Action)
    for (state, action), target in TRANSITIONS.items():
        assert isinstance(state, Status) and isinstance(action, Action) and isinstance(target, Status)
    # No final state moves except by a rerun, and a rerun starts again from SUBMITTED.
    for state in (Status.FINISHED, Status.FAILED, Status.CANCELLED):
        assert {a for (s, a) in TRANSITIONS if s is state} == {Action.RERUN}
        assert TRANSITIONS[(state, Action.RERUN)] is Status.SUBMITTED


@pytest.mark.parametrize(("state", "action"),
                         [(s, a) for s in Status for a in Action if (s, a) not in REPEATS])
def test_every_pair_of_state_and_action(state, action, phase, participant, make_submission) -> None:
    submission, _ = make_submission(phase, participant, status=state.value)
    before = row(submission.pk)
    target = TRANSITIONS.get((state, action))
    if target is None:
        with pytest.raises(TransitionRefused):
            locked(submission.pk, None, PERFORM[action])
        assert row(submission.pk) == before
        return
    locked(submission.pk, None, PERFORM[action])
    after = Submission.objects.get(pk=submission.pk)
    assert after.status == target.value
    if action is Action.RERUN:
        assert after.attempt == before["attempt"] + 1 and after.token_hash != before["token_hash"]
    if target.is_final:
        assert after.finished_at is not None


@pytest.mark.parametrize("state", [Status.FINISHED, Status.FAILED])
def test_a_repeated_result_is_a_no_op_not_a_move(state, phase, participant, make_submission) -> None:
    submission, _ = make_submission(phase, participant, status=state.value)
    before = row(submission.pk)
    report = (ResultReport(status=state, scores={"accuracy": 0.5}) if state is Status.FINISHED
              else ResultReport(status=state, failure_reason=FailureReason.NON_ZERO_EXIT))
    locked(submission.pk, None, lambda s: transitions.apply_result(s, report))
    assert row(submission.pk) == before


def test_a_status_report_of_the_current_state_is_a_heartbeat(phase, participant, make_submission) -> None:
    submission, _ = make_submission(phase, participant, status=Status.RUNNING.value)
    locked(submission.pk, None, lambda s: transitions.apply_status(
        s, StatusReport(status=Status.RUNNING, message="epoch 2", elapsed_s=4.0)))
    after = Submission.objects.get(pk=submission.pk)
    assert (after.status, after.status_message, after.elapsed_s) == ("RUNNING", "epoch 2", 4.0)
    assert after.last_heartbeat is not None and after.started_at is None  # no move, no new time stamp


_STATUS_VALUES = {status.value for status in Status}


def _is_submission_status(value: ast.AST | None, owner: ast.AST | None = None) -> bool:
    """Whether a written value (or the object written to) is a submission's status, not a participant's."""
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} if value is not None else set()
    texts = {n.value for n in ast.walk(value) if isinstance(n, ast.Constant)} if value is not None else set()
    owner_text = ast.unparse(owner) if owner is not None else ""
    return "Status" in names or bool(texts & _STATUS_VALUES) or "submission" in owner_text.lower()


def _status_writes(tree: ast.AST) -> list[int]:
    """Lines that write a submission's ``status``: an assignment or an ``update``/``create`` keyword."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (isinstance(target, ast.Attribute) and target.attr == "status"
                        and _is_submission_status(node.value, target.value)):
                    lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "update", "create", "update_or_create", "bulk_update", "get_or_create"):
            for keyword in node.keywords:
                if keyword.arg == "status" and _is_submission_status(keyword.value, node.func.value):
                    lines.append(node.lineno)
    return lines


def test_only_the_state_machine_writes_a_submission_status() -> None:
    """No module of the site but ``transitions`` writes a submission's ``status``."""
    root = Path(__file__).resolve().parents[2] / "competition"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "transitions.py":
            continue
        source = path.read_text()
        for line in _status_writes(ast.parse(source)):
            offenders.append(f"{path.relative_to(root)}:{line}: {source.splitlines()[line - 1].strip()}")
    assert offenders == []


def test_the_status_write_check_finds_writes() -> None:
    """The check above is not vacuous: it finds the state machine's own writes and typical raw ones."""
    own = Path(__file__).resolve().parents[2] / "competition" / "transitions.py"
    assert _status_writes(ast.parse(own.read_text()))
    raw = ("Submission.objects.filter(pk=1).update(status=Status.QUEUED.value)\n"
           "submission.status = 'FAILED'\nqs.update(status='RUNNING')\n"
           "registration.status = Participant.APPROVED\n")
    assert sorted(_status_writes(ast.parse(raw))) == [1, 2, 3]
