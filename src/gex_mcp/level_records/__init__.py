"""Level records over time: the compact record each analysis leaves (`record`), the series
and session closes built from records (`series`), how the levels held (`accuracy`) and the
history answers (`answers`). The OI snapshots used for OI change are `store.oi_snapshots`."""
