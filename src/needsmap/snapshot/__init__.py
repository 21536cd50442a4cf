"""One-page locality snapshots for health & wellbeing boards (issue 6).

``localities``  read and check locality files (CSV/TOML: locality, ward_code)
``figures``     aggregation from LSOAs, confidence intervals, comparisons, suppression
``content``     everything one page shows, gathered from the store
``mapimg``      the static map (PNG) of the wards by modelled risk, with services
``render``      HTML from one Jinja2 template; PDF by headless chromium (Playwright)
``batch``       one snapshot per locality (and the LA), plus an index page
``cli``         ``needsmap snapshot``
"""
