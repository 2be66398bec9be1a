"""Portico: serverless client self-service portal and helpdesk back end."""
