"""Level history: the compact record each analysis leaves, the series and session closes
built from records (`series.py`), and how the levels held (`accuracy.py`)."""
