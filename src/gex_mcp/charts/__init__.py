"""PNG charts drawn with matplotlib: GEX by strike (`gex`), the bar layout it shares
(`bars`), and levels over time (`history`)."""
