"""The rules of the product, one module per capability. No HTTP, no Chalice here:
services take plain values, return plain values and raise chalicelib.errors."""
