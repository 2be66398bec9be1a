"""Every PynamoDB model of a thread shares one botocore session, so botocore's data files
(endpoints, the DynamoDB service model) are parsed once per container, not once per model."""

from __future__ import annotations

import threading


def _session(model):
    return model._get_connection().connection.session


def test_models_share_one_botocore_session_per_thread():
    from chalicelib.models import table_models
    from chalicelib.models.tickets import AssignmentModel

    models = [*table_models().values(), AssignmentModel]
    sessions = {id(_session(model)) for model in models}
    assert len(sessions) == 1, f"{len(sessions)} botocore sessions for {len(models)} models"

    other: list = []
    worker = threading.Thread(target=lambda: other.append(_session(models[0])))
    worker.start()
    worker.join()
    assert other[0] is not _session(models[0]), "botocore sessions are not thread safe: one per thread"
    assert other[0] is not None
