"""SES template sources, kept as files so that review, infra and the local stack all use
the same text. Each template is a folder: subject.txt, body.txt and body.html, written in
SES's Handlebars syntax ({{name}}; HTML parts escape values, {{{x}}} never used)."""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def template_names() -> list[str]:
    if not TEMPLATES_DIR.is_dir():
        return []
    return sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir() and (p / "subject.txt").is_file())


def load_template(name: str) -> dict[str, str]:
    """The template in the shape SES's CreateTemplate takes."""
    folder = TEMPLATES_DIR / name
    return {
        "TemplateName": name,
        "SubjectPart": (folder / "subject.txt").read_text(encoding="utf-8").strip(),
        "TextPart": (folder / "body.txt").read_text(encoding="utf-8"),
        "HtmlPart": (folder / "body.html").read_text(encoding="utf-8"),
    }


def load_templates() -> list[dict[str, str]]:
    return [load_template(name) for name in template_names()]
