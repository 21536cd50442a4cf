"""The Lewer-style modelled ACE risk index (issues 3 and 16).

Public entry points::

    frame = store_frame(db_path)                 # cached per store file version
    frame = load_indicator_frame(con)            # or: from an open connection / DataFrame
    df = compute_index(frame)                    # default: the three domains, equal weights
    df = compute_index(frame, "domains", {"abuse_neglect": 2, "context": 1})
    df = compute_index(frame, method="weighted", weights={"child_poverty": 0.4, ...})
    cmp = compare_methods(frame)                 # sensitivity to the method

See :mod:`needsmap.index.domains` and :mod:`needsmap.index.methods` for the formulas, :mod:`needsmap.index.stability`
for the rank-stability bands and ``docs/method.md`` ("Modelled ACE risk index").
"""

from needsmap.index.compare import Comparison, compare_methods
from needsmap.index.domains import DOMAIN_COLUMNS, DOMAIN_NAMES, DOMAINS
from needsmap.index.engine import (
    SCORE_COLUMNS,
    IndicatorFrame,
    compute_index,
    load_indicator_frame,
    store_frame,
)
from needsmap.index.indicators import DEFAULT_NAMES, INDICATORS, NAMES
from needsmap.index.methods import (
    DEFAULT_METHOD,
    METHODS,
    SCOPES,
    IndexSpecError,
    get_method,
    normalise_weights,
    parse_weights,
)
from needsmap.index.stability import STABILITY_COLUMNS

__all__ = [
    "DEFAULT_METHOD", "DEFAULT_NAMES", "DOMAINS", "DOMAIN_COLUMNS", "DOMAIN_NAMES", "INDICATORS",
    "METHODS", "NAMES", "SCOPES", "SCORE_COLUMNS", "STABILITY_COLUMNS", "Comparison",
    "IndexSpecError", "IndicatorFrame", "compare_methods", "compute_index", "get_method",
    "load_indicator_frame",
    "normalise_weights", "parse_weights", "store_frame",
]
