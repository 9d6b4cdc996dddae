"""Full FHIR R4 validation (fhir.resources R4B models) of the resources advice relies on.

Validating every prefetched resource costs ~0.1–0.4 ms each, so it is done only for the
resources whose facts decide the advice (see `evaluate.py`). Results are cached by the
resource's exact JSON, because the same chart is opened again and again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

import orjson
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

_CACHE: "OrderedDict[bytes, str | None]" = OrderedDict()
_CACHE_SIZE = 20_000
_CACHED_BYTES = 64 * 1024  # real resources are a few KB; a client's megabyte resources are not kept


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__") or "resource"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def validation_error(resource: Mapping[str, Any]) -> str | None:
    """None when the resource is valid FHIR R4, else a short description of what is wrong."""
    key = orjson.dumps(resource)  # as sent: an EHR sends a resource the same way each time (unsorted is ~2x cheaper)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    try:
        model = get_fhir_model_class(str(resource.get("resourceType")))
    except (KeyError, ValueError, AttributeError):
        result: str | None = f"unknown resourceType {resource.get('resourceType')!r}"
    else:
        try:
            model.model_validate(resource)
            result = None
        except ValidationError as exc:
            result = _describe(exc)
        except (ValueError, TypeError) as exc:  # fhir.resources raises these for some bad input
            result = str(exc)[:200]
    if len(key) <= _CACHED_BYTES:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
