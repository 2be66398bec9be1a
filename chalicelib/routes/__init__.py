"""Chalice blueprints: parse, authorize, call a service, shape the answer.
No DynamoDB in here. routes/api.py is the machinery they share."""
