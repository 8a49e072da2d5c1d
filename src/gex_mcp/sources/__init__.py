"""Data sources: I/O only; each turns a symbol into an OptionChain (flashalpha: ready answers)."""
