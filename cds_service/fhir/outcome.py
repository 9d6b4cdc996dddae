"""OperationOutcome, read in one place: the EHR's answer for a prefetch key it could not fill (prefetch.py), and
the FHIR server's answer to a read or search the service makes itself (fetch.py).

An outcome makes its key unusable when an issue is an error (or fatal), or of type `incomplete` whatever its
severity (results were left out: a source not reached, a limit hit, so deciding on what came would be deciding on
part of the chart); any other outcome in a search result is informational and is passed over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def failing_issues(outcome: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The issues that make the outcome's key unusable, in their order."""
    issues = outcome.get("issue")
    return [i for i in (issues if isinstance(issues, list) else [])
            if isinstance(i, dict) and (i.get("severity") in ("error", "fatal") or i.get("code") == "incomplete")]


def failure_reason(outcome: Mapping[str, Any]) -> str | None:
    """Why a search outcome makes its key unusable (an error, else results left out), or None for an informational one."""
    failing = failing_issues(outcome)
    if not failing:
        return None
    return "reported an error" if any(i.get("severity") in ("error", "fatal") for i in failing) \
        else "reported the results incomplete"


def failing_code(outcome: Mapping[str, Any]) -> str | None:
    """The issue code of the first issue that makes the key unusable, else None."""
    failing = failing_issues(outcome)
    return str(failing[0].get("code") or "unknown") if failing else None


def outcome_text(outcome: Mapping[str, Any]) -> str:
    """The outcome's issues in words (diagnostics, else the details' text, else the code)."""
    texts = []
    issues = outcome.get("issue")
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict):
            texts.append(str(issue.get("diagnostics") or _first_display(issue.get("details")) or issue.get("code") or "error"))
    return "; ".join(texts) or "OperationOutcome without issues"


def _first_display(concept: Any) -> str:
    if isinstance(concept, dict):
        if concept.get("text"):
            return str(concept["text"])
        codings = concept.get("coding")
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, dict) and coding.get("display"):
                return str(coding["display"])
    return ""
