"""The app's server entry: ``streamlit run asgi.py`` serves ``app.py``, warmed at start.

Streamlit runs a page only when a browser session asks for it, so the first visitor
after a start used to wait for every import, the store to open and the first map to be
simplified (15-16 s on a 2-core machine). Here the server starts ``app.py`` through
``st.App`` with a start-up hook (:func:`needsmap.views.warm.lifespan`) that does that
work before the server reports itself healthy, and precomputes the rest (display
geometry for every area, the all-England map) in the background afterwards.
``needsmap app`` and ``needsmap serve`` run this file; ``streamlit run app.py`` still
works, without the warm-up.
"""

import streamlit as st

from needsmap.views.warm import lifespan

app = st.App("app.py", lifespan=lifespan)
