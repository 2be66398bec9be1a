"""The tests' AWS stand-in (tests/conftest.py, devtools/stack.py): each test gets it whole,
whatever the tests before it did to moto in this process."""

from __future__ import annotations

from devtools import stack
from tests.support import missing_from_stand_in


def test_a_snapshot_comes_back_after_mock_aws_dropped_every_backend(aws_stack):
    from moto import mock_aws

    from chalicelib import aws
    from chalicelib.models.settings import SettingsModel

    snapshot = stack.InProcessSnapshot()
    with mock_aws():  # as a test of the deploy scripts does: on entry and exit moto resets everything
        pass
    snapshot.restore()
    assert missing_from_stand_in(aws_stack) == []
    aws.reset()
    assert aws.client("dynamodb").describe_table(TableName=SettingsModel.Meta.table_name)["Table"]
    assert aws.client("cognito-idp").describe_user_pool(UserPoolId=aws_stack.user_pool_id)["UserPool"]


def test_the_next_test_finds_everything_after_a_test_that_used_mock_aws(aws_stack):
    from moto import mock_aws

    with mock_aws():
        pass


def test_and_the_one_after_it_finds_the_pool_and_the_tables(portal):
    # These ran in this order when a restore missed what mock_aws() had dropped: the pool was
    # gone for the next test and the settings table for the one after (see conftest's aws_stack).
    assert portal.create_client("after-a-reset@example.com")["email"] == "after-a-reset@example.com"
