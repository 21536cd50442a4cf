"""needsmap: ward-level place-based need in England.

The package is organised in the order data flows through it::

    sources -> ingest -> store -> index -> access -> views

``sources``  resolves each catalogued file (cache, mirror, download).
``ingest``   parses one publisher's file per module and records a load report.
``store``    orchestrates the DuckDB build and runs the SQL in ``queries/``.
``index``    computes the Lewer-style modelled ACE risk index.
``access``   services and straight-line access measures.
``crime``    police.uk street-level recorded crime.
``snapshot`` one-page locality snapshots for boards.
``views``    Streamlit UI modules used by ``app.py``.
"""

__version__ = "0.1.0"

CAVEAT = (
    "The ACE index here is a modelled, area-level risk proxy built from open indicators "
    "(after Lewer et al. 2020). It is not a count of adverse childhood experiences, says "
    "nothing about any individual or family, and is not a screening tool."
)
