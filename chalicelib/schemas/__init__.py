"""Pydantic models of request bodies, query strings and answers, one module per capability.

They validate requests and generate /openapi.json. Route modules name them by string
("organizations.OrganizationCreate") so that pydantic is imported on the first request
that needs it, not when the Lambda container imports app.py.
"""
