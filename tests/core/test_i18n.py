"""Simplified Chinese is the default language, complete, and only an explicit choice switches to English."""

import ast
import gettext
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.functional import Promise

from gridgov.accounts.models import Role
from gridgov.areas.models import AreaLevel, BoundarySource

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

HOME_TITLE_ZH = "gridgov：网格化基层治理"
HOME_TITLE_EN = "gridgov: grid-based grassroots governance"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-z]")


@dataclass
class Message:
    msgctxt: str = ""
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


def parse_po(path: Path) -> list[Message]:
    """A small .po reader: enough for the flags, msgctxt, msgid, msgid_plural and msgstr[n] that
    gettext writes."""
    messages: list[Message] = []
    current = Message()
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, target
        if current.msgstr or current.msgid:
            messages.append(current)
        current, target = Message(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            current.obsolete = True
            continue
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = "", line
        elif keyword == "msgctxt":
            if current.msgstr:
                finish()
            target = ("msgctxt", 0)
        elif keyword == "msgid":
            if current.msgstr:
                finish()
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            target = ("msgid_plural", 0)
        elif keyword == "msgstr":
            target = ("msgstr", 0)
        elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
            target = ("msgstr", int(match.group(1)))
        else:
            raise AssertionError(f"unexpected .po line: {raw!r}")
        assert target is not None, raw
        text: str = ast.literal_eval(rest)
        kind, index = target
        if kind == "msgctxt":
            current.msgctxt += text
        elif kind == "msgid":
            current.msgid += text
        elif kind == "msgid_plural":
            current.msgid_plural += text
        else:
            current.msgstr[index] = current.msgstr.get(index, "") + text
    finish()
    return messages


def test_the_catalogue_is_complete_and_nothing_is_fuzzy() -> None:
    messages = parse_po(PO_FILE)
    header = next(message for message in messages if message.msgid == "")
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    assert "fuzzy" not in header.flags
    real = [message for message in messages if message.msgid and not message.obsolete]
    assert len(real) > 150
    for message in real:
        assert "fuzzy" not in message.flags, message.msgid
        assert sorted(message.msgstr) == [0], f"Chinese has exactly one form: {message.msgid!r}"
        translated = message.msgstr[0]
        assert translated.strip(), f"untranslated: {message.msgid!r}"
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(message.msgid)), (
            message.msgid
        )


def test_the_committed_mo_file_matches_the_po_file() -> None:
    assert MO_FILE.is_file(), "run manage.py compilemessages and commit the .mo file"
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in parse_po(PO_FILE):
        if not message.msgid or message.obsolete:
            continue
        if message.msgid_plural:
            got = compiled.ngettext(message.msgid, message.msgid_plural, 1)
        elif message.msgctxt:
            got = compiled.pgettext(message.msgctxt, message.msgid)
        else:
            got = compiled.gettext(message.msgid)
        assert got == message.msgstr[0], f"stale .mo (run compilemessages): {message.msgid!r}"


@pytest.mark.parametrize(
    ("source", "chinese"),
    [
        (Role.GRID_WORKER.label, "网格员"),
        (Role.GRID_LEADER.label, "网格长"),
        (Role.INTAKE_CLERK.label, "受理员"),
        (Role.DISPATCHER.label, "派遣员"),
        (Role.ADMINISTRATOR.label, "系统管理员"),
        (AreaLevel.STREET.label, "街道/乡镇"),
        (AreaLevel.COMMUNITY.label, "社区/村"),
        (AreaLevel.MICRO_GRID.label, "微网格"),
        (BoundarySource.GENERATED.label, "演示生成"),
        ("Not found.", "未找到。"),
        ("Log in first.", "请先登录。"),
        (HOME_TITLE_EN, HOME_TITLE_ZH),
    ],
)
def test_sample_messages_are_chinese(source: str | Promise, chinese: str) -> None:
    def shown(language: str) -> str:
        with translation.override(language):
            # A lazy label (model choices) translates when it becomes text; a plain msgid through gettext.
            return str(source) if isinstance(source, Promise) else translation.gettext(source)

    assert shown("zh-hans") == chinese
    assert shown("en") != chinese


def test_plural_messages_use_the_single_chinese_form() -> None:
    with translation.override("zh-hans"):
        for count in (1, 2, 5):
            text = translation.ngettext(
                "%(count)d bad row in the division files; nothing was imported.",
                "%(count)d bad rows in the division files; nothing was imported.",
                count,
            ) % {"count": count}
            assert text == f"区划文件中有 {count} 行错误，未导入任何数据。"


def test_home_page_is_chinese_even_for_an_english_browser() -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert HOME_TITLE_ZH in page
    assert HOME_TITLE_EN not in page


def test_lang_parameter_switches_to_english() -> None:
    response = Client().get("/?lang=en", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert HOME_TITLE_EN in response.content.decode()


def test_an_unknown_lang_parameter_keeps_chinese() -> None:
    response = Client().get("/?lang=fr")
    assert HOME_TITLE_ZH in response.content.decode()


def test_the_language_cookie_set_by_setlang_switches_to_english() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/").content.decode()
    assert HOME_TITLE_EN in page
    assert HOME_TITLE_ZH not in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert HOME_TITLE_ZH in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


@pytest.mark.django_db
def test_api_errors_are_chinese_by_default() -> None:
    response = Client().get("/api/v1/accounts/me", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 401
    body = json.loads(response.content)
    assert body["code"] == "not_authenticated"
    assert body["message"] == "请先登录。"


@pytest.mark.django_db
def test_api_errors_follow_an_explicit_english_choice() -> None:
    response = Client().get("/api/v1/accounts/me?lang=en")
    assert response.status_code == 401
    assert json.loads(response.content)["message"] == "Log in first."


@pytest.mark.django_db
def test_admin_login_shows_the_chinese_site_header() -> None:
    page = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "gridgov 网格化治理平台" in page
    english = Client().get("/admin/login/?lang=en").content.decode()
    assert "gridgov grid governance platform" in english
