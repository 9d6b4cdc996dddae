"""Which therapy targets the guideline covers: CAR-T or bispecific antibodies directed at a B-cell or plasma-cell
antigen (Medicinrådet 2025, §4: "rettet mod B-celle- eller plasmacelleantigener").

Every CAR-T product approved today is CD19- or BCMA-directed; the others here are B-cell (CD20, CD22, CD79a/b,
BAFF-R) or plasma-cell (GPRC5D, FcRH5, CD38, CD138, SLAMF7) antigens that products in trials are directed at, with
the other names of the same antigens (BCMA: TNFRSF17, CD269; FcRH5: FCRL5, CD307e; SLAMF7: CS1, CD319; BAFF-R:
CD268). A value-set entry's `target` outside them (CD7, CD30, CD33: a site's local code for a trial product) puts
the product outside the guideline. An entry with no target (a procedure code) says nothing against it.
"""

from __future__ import annotations

import re

B_OR_PLASMA_CELL_ANTIGENS = frozenset({
    "CD19", "CD20", "CD22", "CD79A", "CD79B", "BCMA", "TNFRSF17", "CD269", "GPRC5D", "FCRH5", "FCRL5", "CD307E",
    "CD38", "CD138", "SLAMF7", "CS1", "CD319", "CD268", "BAFFR"})


def in_scope_target(target: object) -> bool:
    """Whether a value-set entry's `target` leaves the product in scope: none given, or a B-cell or plasma-cell
    antigen among the antigens it names, compared in capitals word by word ("CD19/CD22", "BCMAxCD3", "anti-CD19",
    "BAFF-R"): a product directed at two targets depletes those cells when one of them is such an antigen."""
    text = str(target or "").strip().upper()
    if not text:
        return True
    words = [w for w in re.split(r"[^A-Z0-9]+", text.replace("BAFF-R", "BAFFR")) if w]
    return any(w in B_OR_PLASMA_CELL_ANTIGENS or any(part in B_OR_PLASMA_CELL_ANTIGENS for part in w.split("X"))
               for w in words)
