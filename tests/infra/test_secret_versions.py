"""The secret's numbered versions reach every function (stacks/secret_key.py): the current
one, its number and the older ones still read, so a rotation (docs/operations.md, "Rotate the
secret key") leaves TOTP secrets and remembered devices sealed under the old one readable."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.conftest import ROOT, TEMPLATE, fresh_template
from tests.infra.test_template import functions

# The API and the workers (the outbox's stream handler and sweeper): all of them read keys.
WORKERS = ("DeliverOutboxStream", "SweepOutbox")


@pytest.fixture(scope="module")
def rotated_template() -> dict[str, Any]:
    return fresh_template(TEMPLATE.with_name("template-rotated.json"), "secretVersion=3")


def flat(value: Any) -> str:
    """A Fn::Join of strings and Refs as one string, a Ref as <LogicalId>."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(flat(part) for part in parts)
    return json.dumps(value)


def key_variables(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    found = {name: {key: flat(value)
                    for key, value in f["Properties"]["Environment"]["Variables"].items()
                    if key.startswith("PORTICO_SECRET_KEY") or key == "PORTICO_OLDER_SECRET_KEYS"}
             for name, f in functions(template).items()}
    assert {"APIHandler", *WORKERS} <= set(found)
    return found


@pytest.fixture
def secret_versions(monkeypatch) -> Any:
    pytest.importorskip("aws_cdk", reason="infra deps not installed")
    # Only for these tests: infra/ on the path would make `import app` find infra/app.py.
    monkeypatch.syspath_prepend(str(ROOT / "infra"))
    from stacks.secret_key import SecretVersions

    return SecretVersions


def references(text: str) -> list[str]:
    """The Secrets Manager references in `text`, each of this stack's secret key."""
    found = re.findall(r"\{\{resolve:secretsmanager:[^}]*\}\}", text)
    assert all(ref.startswith("{{resolve:secretsmanager:<SecretKey") for ref in found), found
    return found


def test_before_any_rotation_the_functions_read_the_generated_secret_as_version_1(template, tuned_template):
    for name, env in key_variables(template).items():
        assert env["PORTICO_SECRET_KEY_VERSION"] == "1", name
        assert env["PORTICO_OLDER_SECRET_KEYS"] == "", name
        (current,) = references(env["PORTICO_SECRET_KEY"])
        assert current.endswith(":SecretString:::}}"), current  # AWSCURRENT, as before versions
    # A Secrets Manager version id (the runbook's form before numbered versions) is version 1.
    for name, env in key_variables(tuned_template).items():
        assert env["PORTICO_SECRET_KEY_VERSION"] == "1", name
        assert env["PORTICO_OLDER_SECRET_KEYS"] == "", name
        assert references(env["PORTICO_SECRET_KEY"])[0].endswith(":::0f1e2d3c-aaaa-bbbb-cccc-111122223333}}")


def test_after_a_rotation_every_function_seals_under_the_new_version_and_reads_the_older_ones(rotated_template):
    for name, env in key_variables(rotated_template).items():
        assert env["PORTICO_SECRET_KEY_VERSION"] == "3", name
        (current,) = references(env["PORTICO_SECRET_KEY"])
        assert current.endswith(":SecretString::portico-v3:}}"), (name, current)
        older = env["PORTICO_OLDER_SECRET_KEYS"]
        # `<version>=<secret>` pairs, each secret a deploy-time reference, never a value.
        assert [ref.rsplit(":", 2)[1] for ref in references(older)] == ["portico-v1", "portico-v2"], (name, older)
        assert re.fullmatch(r"1=\{\{[^}]+portico-v1:\}\},2=\{\{[^}]+portico-v2:\}\}", older), (name, older)
    # For `make deploy` to pass again when the next command does not name it.
    assert rotated_template["Outputs"]["SecretVersion"]["Value"] == "3"


def test_make_deploy_keeps_the_last_deploys_versions_unless_the_command_names_them(monkeypatch):
    pytest.importorskip("aws_cdk", reason="infra deps not installed")
    from infra import deploy

    calls: list[dict[str, str]] = []
    monkeypatch.setattr(deploy, "run_cdk", lambda command, context, extra: calls.append(context))
    monkeypatch.setattr(deploy, "sender_verified", lambda sender: True)
    monkeypatch.setattr(deploy, "describe_stack", lambda stage: {"StackStatus": "UPDATE_COMPLETE"})
    monkeypatch.setattr(deploy, "stack_outputs", lambda stage: {
        "PortalUrl": "https://x/api/portal", "SecretVersion": "2", "OlderSecretVersions": "1"})
    required = ["--stage", "prod", "--mail-sender", "s@acme.test", "--agents-email", "a@acme.test"]
    assert deploy.main(required) == 0
    assert (calls[-1]["secretVersion"], calls[-1]["olderSecretVersions"]) == ("2", "1")
    assert deploy.main([*required, "-c", "secretVersion=3"]) == 0
    assert not {"secretVersion", "olderSecretVersions"} & set(calls[-1])  # the command's own -c only


@pytest.mark.parametrize(("secret_version", "older", "expected"), [
    (None, None, (1, ())),
    ("3", None, (3, (1, 2))),                # by default every earlier version stays readable
    ("3", "2", (3, (2,))),                   # version 1 dropped on purpose
    ("3", "none", (3, ())),
    ("1", "2", (1, (2,))),                   # the rotation's first deploy: 2 read before it is current
    ("2", "2,1", (2, (1,))),                 # the current one is not listed twice
    ("0f1e2d3c-aaaa-bbbb-cccc-111122223333", None, (1, ())),
])
def test_the_settings_name_the_current_version_and_the_older_ones(secret_versions, secret_version, older,
                                                                 expected):
    versions = secret_versions.from_settings(secret_version, older)
    assert (versions.current, versions.older) == expected


@pytest.mark.parametrize(("secret_version", "older"), [("0", None), ("2", "one"), ("2", "0")])
def test_a_version_that_is_not_a_number_from_1_fails_the_synth(secret_versions, secret_version, older):
    with pytest.raises(ValueError, match="ecretVersion"):
        secret_versions.from_settings(secret_version, older)
