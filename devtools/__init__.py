"""Local-stack and test tooling. Never shipped to Lambda (Chalice packages only app.py,
chalicelib/ and vendor/)."""
