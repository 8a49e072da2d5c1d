"""Pure numpy analytics: no I/O, no settings, no pydantic.

Input is an `OptionChain`; outputs are plain dataclasses of numpy arrays and floats.
"""
