"""The PWA's files agree with each other: every string in both languages, every shell file
precached. (No browser needed.)"""

import gzip
import json
import re
from pathlib import Path

from backend.web import shell_version

PWA = Path(__file__).resolve().parents[2] / "pwa"
KEY_IN_CODE = re.compile(r"""(?:\bt|\btext|\bhas)\(\s*['`]([a-zA-Z]+\.[a-zA-Z_]+)['`]""")
KEY_IN_HTML = re.compile(r"""data-i18n="([a-zA-Z]+\.[a-zA-Z_]+)\"""")
DYNAMIC_FAMILIES = {"geo": {"denied", "unavailable", "timeout", "unsupported"},
                    "status": {"submitted", "acknowledged", "in_progress", "resolved", "closed",
                               "duplicate", "rejected", "reopened"}}


def _dictionary(lang: str) -> dict:
    return json.loads((PWA / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def test_both_languages_have_every_string():
    english, spanish = _dictionary("en"), _dictionary("es")
    assert set(english) == set(spanish)
    assert all(text.strip() for text in [*english.values(), *spanish.values()])
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", spanish[key])), key


def test_every_key_the_code_uses_is_translated():
    english = _dictionary("en")
    used = set()
    for path in [*PWA.joinpath("js").rglob("*.js"), PWA / "index.html"]:
        source = path.read_text(encoding="utf-8")
        used |= set(KEY_IN_CODE.findall(source)) | set(KEY_IN_HTML.findall(source))
    for family, names in DYNAMIC_FAMILIES.items():
        used |= {f"{family}.{name}" for name in names}
    used |= {f"statusNote.{name}" for name in DYNAMIC_FAMILIES["status"]}
    assert used - set(english) == set()


def test_every_status_of_the_server_has_words_in_the_app():
    from backend.models import Status

    english = _dictionary("en")
    assert {f"status.{s.value}" for s in Status} <= set(english)
    assert {f"statusNote.{s.value}" for s in Status} <= set(english)


def test_service_worker_precaches_exactly_the_shell():
    source = (PWA / "sw.js").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s+'(/[^']*)',$", source, re.MULTILINE))
    shell = {"/" + p.relative_to(PWA).as_posix() for p in PWA.rglob("*")
             if p.is_file() and p.suffix in {".js", ".css", ".json", ".png", ".webmanifest"}
             and p.name != "sw.js"}
    assert listed - {"/"} == shell
    assert "/" in listed


def test_shell_version_follows_the_files(tmp_path):
    (tmp_path / "a.js").write_text("one")
    (tmp_path / "sw.js").write_text("const VERSION = '__SHELL_VERSION__';")
    first = shell_version(tmp_path)
    (tmp_path / "sw.js").write_text("changed, but it is not part of the shell's hash")
    assert shell_version(tmp_path) == first
    (tmp_path / "a.js").write_text("two")
    assert shell_version(tmp_path) != first


def test_app_shell_weight_within_budget():
    """First load, gzip-compressed: HTML, JS, CSS, JSON and manifest, the map library aside."""
    shell = [p for p in PWA.rglob("*") if p.is_file() and "vendor" not in p.parts
             and p.suffix in {".html", ".js", ".css", ".json", ".webmanifest"}]
    compressed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in shell)
    assert compressed <= 150 * 1024, f"app shell is {compressed / 1024:.1f} KB compressed"


def test_service_worker_and_manifest_are_served_as_browsers_need(live_app):
    client = live_app.test_client()
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert "__SHELL_VERSION__" not in worker.text
    assert f"const VERSION = '{shell_version(PWA)}';" in worker.text
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.headers["Cache-Control"] == "no-cache"
    script = client.get("/js/app.js")
    assert script.mimetype == "text/javascript"
    assert "max-age=3600" in script.headers["Cache-Control"]
    for answer in (worker, manifest, script):
        answer.close()
