"""OperationOutcome read in one place, for the EHR's prefetch and for the service's own fetch."""

from __future__ import annotations

from cds_service.fhir.outcome import failing_code, failing_issues, failure_reason, outcome_text

INFO = {"severity": "information", "code": "informational", "diagnostics": "2 results"}
INCOMPLETE = {"severity": "warning", "code": "incomplete", "details": {"text": "one source not reached"}}
ERROR = {"severity": "error", "code": "processing", "diagnostics": "timeout"}


def outcome(*issues: dict) -> dict:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def test_an_error_or_an_incomplete_result_makes_the_key_unusable_and_anything_else_is_informational():
    assert failing_issues(outcome(INFO)) == [] and failure_reason(outcome(INFO)) is None
    assert failing_code(outcome(INFO)) is None
    assert failure_reason(outcome(INCOMPLETE, ERROR)) == "reported an error"  # an error is said first, wherever it is
    assert failing_code(outcome(INCOMPLETE, ERROR)) == "incomplete"  # the first failing issue's code
    assert failure_reason(outcome(INFO, INCOMPLETE)) == "reported the results incomplete"
    assert failing_code(outcome({"severity": "fatal"})) == "unknown"
    assert failing_code({"resourceType": "OperationOutcome", "issue": "not a list"}) is None


def test_the_outcome_in_words():
    assert outcome_text(outcome(INFO, INCOMPLETE, {"code": "exception"})) == "2 results; one source not reached; exception"
    assert outcome_text(outcome()) == "OperationOutcome without issues"
