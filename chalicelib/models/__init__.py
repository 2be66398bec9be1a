"""PynamoDB models, one module per table.

`table_models()` names, for each table, the model that declares its keys and indexes:
the local stack creates tables from it and the infra test compares it with the stack.
Imported lazily so that importing the app does not import every model.
"""

from __future__ import annotations

import importlib

# logical table name -> "module:Model" that owns the table definition
TABLE_OWNERS: dict[str, str] = {
    "settings": "chalicelib.models.settings:SettingsModel",
    "organizations": "chalicelib.models.organizations:OrganizationModel",
    "outbox": "chalicelib.models.outbox:OutboxModel",
    "users": "chalicelib.models.users:UserModel",
    "tickets": "chalicelib.models.tickets:TicketModel",
    "notes": "chalicelib.models.notes:NoteModel",
    "idempotency": "chalicelib.models.idempotency:IdempotencyRecord",
    "portal_log": "chalicelib.models.portal_log:PortalLogModel",
    "throttle": "chalicelib.models.throttle:ThrottleModel",
    "attachments": "chalicelib.models.attachments:AttachmentModel",
    "articles": "chalicelib.models.articles:ArticleModel",
    "assets": "chalicelib.models.assets:AssetModel",
    "imports": "chalicelib.models.imports:ImportModel",
}


def table_models() -> dict[str, type]:
    owners = {}
    for logical, ref in TABLE_OWNERS.items():
        module, _, name = ref.partition(":")
        owners[logical] = getattr(importlib.import_module(module), name)
    return owners
