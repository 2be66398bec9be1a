"""HTTP: each capability module declares its routes (parse, authorize, call a service, shape the
answer); routes/api.py is what they share, routes/pipeline.py runs every stage around them.
No DynamoDB in here."""
