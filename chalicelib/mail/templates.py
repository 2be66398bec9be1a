"""SES template sources, kept as files so that review, infra and the local stack all use
the same text. Each template is a folder: subject.txt, body.txt and body.html, written in
SES's Handlebars syntax ({{name}}; HTML parts escape values, {{{x}}} never used).

A template's folder name is its logical name, the one the app stores on an outbox item
("ticket-created"). SES templates are per account and region, so in SES each carries its
stage ("portico-prod-ticket-created"): two stages can share an account, and the sender adds
the prefix when it sends (an item queued before a rename still names a logical template)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def ses_template_name(name: str, stage: str) -> str:
    """The SES name of logical template `name` in `stage`."""
    return f"portico-{stage}-{name}"


def logical_template_name(ses_name: str, stage: str) -> str:
    """The logical name back from an SES name of `stage` (any other name is returned as is)."""
    return ses_name.removeprefix(f"portico-{stage}-")


def template_names() -> list[str]:
    if not TEMPLATES_DIR.is_dir():
        return []
    return sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir() and (p / "subject.txt").is_file())


def load_template(name: str, stage: str) -> dict[str, str]:
    """The template in the shape SES's CreateTemplate takes, named for `stage`."""
    folder = TEMPLATES_DIR / name
    return {
        "TemplateName": ses_template_name(name, stage),
        "SubjectPart": (folder / "subject.txt").read_text(encoding="utf-8").strip(),
        "TextPart": (folder / "body.txt").read_text(encoding="utf-8"),
        "HtmlPart": (folder / "body.html").read_text(encoding="utf-8"),
    }


def load_templates(stage: str) -> list[dict[str, str]]:
    return [load_template(name, stage) for name in template_names()]
