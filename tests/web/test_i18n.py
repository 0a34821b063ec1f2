"""Korean and English pages: complete catalogs, language choice, and what a Korean reader sees."""

from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app import ROOT
from app.config import DEFAULTS
from app.web.catalogs import compile_stale
from tests.helpers import csrf_token, parse_set_cookies

TRANSLATIONS = ROOT / "app" / "translations"
POT = TRANSLATIONS / "messages.pot"
# The same extraction as `make messages` (see the Makefile's EXTRACT_FLAGS).
EXTRACT_FLAGS = ["-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--sort-output"]
KOREAN_BROWSER = {"Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"}
MAKE_MESSAGES = (
    "run `make messages`, translate the new entries in the .po, then `make translations`"
)


def load_po(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=language)


def msgids(catalog) -> set:
    return {message.id for message in catalog if message.id}


def translated_languages() -> list[str]:
    return [lang for lang in DEFAULTS["LANGUAGES"] if lang != DEFAULTS["BABEL_DEFAULT_LOCALE"]]


def visible_text(page: str) -> str:
    """What a reader sees: the title and body text, without tags, scripts or attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --- the catalogs --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", translated_languages())
def test_every_message_is_translated_none_fuzzy(language):
    catalog = load_po(language)
    assert not catalog.fuzzy, f"the {language} catalog header is fuzzy: pybabel would skip it"
    missing = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"untranslated in {language}: {missing}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"
    assert not catalog.obsolete, f"obsolete entries in {language}: {list(catalog.obsolete)}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"placeholders differ from the English in {language}: {problems}"


@pytest.mark.parametrize("language", translated_languages())
def test_catalogs_hold_exactly_the_strings_of_the_code(language, tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from babel.messages.frontend import main; sys.exit(main())",
            "-q",
            "extract",
            *EXTRACT_FLAGS,
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as fh:
        in_code = msgids(read_po(fh))
    with POT.open("rb") as fh:
        in_template = msgids(read_po(fh))
    in_catalog = msgids(load_po(language))
    assert in_code, "extraction found no strings at all"
    assert in_template == in_code, (
        f"messages.pot is out of date (new: {sorted(in_code - in_template)}, "
        f"gone: {sorted(in_template - in_code)}); {MAKE_MESSAGES}"
    )
    assert in_catalog == in_code, (
        f"the {language} catalog is out of date (missing: {sorted(in_code - in_catalog)}, "
        f"extra: {sorted(in_catalog - in_code)}); {MAKE_MESSAGES}"
    )


def test_translations_are_found_by_absolute_path(app):
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert directory.is_absolute() and directory == TRANSLATIONS


def test_stale_or_missing_compiled_catalogs_are_rebuilt_without_fuzzy_entries(tmp_path):
    po = tmp_path / "ko" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po", po)
    with po.open("a", encoding="utf-8") as fh:
        fh.write('\n#, fuzzy\nmsgid "A guess"\nmsgstr "추측"\n')
    mo = po.with_suffix(".mo")

    assert compile_stale([str(tmp_path)]) == [mo]
    with mo.open("rb") as fh:
        compiled = read_mo(fh)
    assert compiled.get("Log in").string == "로그인"
    assert compiled.get("A guess") is None
    assert compile_stale([str(tmp_path)]) == []  # up to date: nothing rewritten

    os.utime(mo, (1, 1))  # older than its .po, as after a merge that changed translations
    assert compile_stale([str(tmp_path)]) == [mo]


# --- wrapping: no English text outside the catalogs ---------------------------------------------

TEMPLATE_WORDS_ALLOWED = {"Gatehouse", "English"}
# JSON bodies are for programs, which read their `error` code; their message stays English.
PYTHON_TEXT_ALLOWED = {"Sign-in required."}
VALIDATORS = {
    "DataRequired",
    "InputRequired",
    "Email",
    "EqualTo",
    "Length",
    "NumberRange",
    "Regexp",
    "URL",
    "AnyOf",
    "NoneOf",
    "Optional",
}


def test_templates_have_no_unwrapped_text():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = path.read_text()
        source = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
        source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
        attrs = re.findall(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"', source)
        texts = re.sub(r"<[^>]+>", " ", source).split() + [w for a in attrs for w in a.split()]
        found += [
            (path.name, word)
            for word in texts
            if re.search(r"[A-Za-z]", word)
            and "@" not in word
            and word.strip(".,:;!?·()") not in TEMPLATE_WORDS_ALLOWED
        ]
    assert not found, f"wrap these in _() so they can be translated: {found}"


def _is_text(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"[A-Za-z]", node.value) is not None
    )


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_python_user_messages_are_wrapped():
    """Flash messages, form labels, validation messages and error texts go through gettext,
    and every WTForms validator has its own (translated) message instead of WTForms' default."""
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name, args = _name(node.func), node.args
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords}
            checks = [keywords.get("message"), keywords.get("label")]
            if name in ("flash", "ValidationError") and args:
                checks.append(args[0])
            if name == "render_error" and len(args) > 1:
                checks.append(args[1])
            if (
                name == "append"
                and isinstance(node.func, ast.Attribute)
                and _name(node.func.value) == "errors"
                and args
            ):
                checks.append(args[0])
            if name.endswith("Field") and args:
                checks.append(args[0])
            found += [
                f"{where} {value.value!r}"
                for value in checks
                if _is_text(value) and value.value not in PYTHON_TEXT_ALLOWED
            ]
            if name in VALIDATORS and name != "Optional" and "message" not in keywords:
                positional_message = {
                    "DataRequired": 0,
                    "InputRequired": 0,
                    "Email": 0,
                    "EqualTo": 1,
                    "URL": 1,
                }.get(name)
                if positional_message is None or len(args) <= positional_message:
                    found.append(f"{where} ({name} without its own message)")
    assert not found, f"user-facing text not wrapped in gettext/lazy_gettext: {found}"


# --- what a reader sees --------------------------------------------------------------------------


def test_login_page_in_korean_for_a_korean_browser(client):
    page = client.get("/auth/login", headers=KOREAN_BROWSER)
    assert page.status_code == 200
    assert '<html lang="ko">' in page.text
    assert "<title>로그인 · Gatehouse</title>" in page.text
    for korean in (
        "이메일",
        "비밀번호",
        "로그인 상태 유지",
        "회원가입",
        "처음이신가요?",
        "본문 바로가기",
    ):
        assert korean in page.text
    text = visible_text(page.text)
    for english in ("Log in", "Sign up", "Password", "Remember me", "New here?"):
        assert english not in text


def test_english_is_the_default_without_a_preference(client):
    page = client.get("/auth/login")
    assert '<html lang="en">' in page.text
    assert "<title>Log in · Gatehouse</title>" in page.text
    assert "Remember me" in page.text and "로그인" not in visible_text(page.text)
    unsupported = client.get("/auth/login", headers={"Accept-Language": "fr-FR,de;q=0.8"})
    assert '<html lang="en">' in unsupported.text


def test_pages_say_they_depend_on_the_language(client):
    assert "Accept-Language" in client.get("/auth/login").headers.get("Vary", "")


def test_switcher_sets_the_cookie_and_switches_back(client):
    choose = client.get("/auth/login?lang=ko", headers={"Accept-Language": "en"})
    assert '<html lang="ko">' in choose.text
    cookie = parse_set_cookies(choose)["lang"]
    assert cookie.value == "ko" and cookie.attrs.get("path") == "/"
    assert "httponly" in cookie.attrs and cookie.attrs.get("samesite") == "Lax"
    assert int(cookie.attrs["max-age"]) > 30 * 24 * 3600  # remembered across browser restarts

    later = client.get("/", headers={"Accept-Language": "en"})  # the cookie beats the header
    assert '<html lang="ko">' in later.text and "안전하게 로그인 상태를 유지하세요" in later.text
    assert "lang" not in parse_set_cookies(later)

    back = client.get("/?lang=en", headers=KOREAN_BROWSER)
    assert '<html lang="en">' in back.text and parse_set_cookies(back)["lang"].value == "en"
    assert '<html lang="en">' in client.get("/", headers=KOREAN_BROWSER).text


def test_footer_links_switch_languages(client):
    page = client.get("/", headers=KOREAN_BROWSER)
    assert 'href="?lang=en"' in page.text and 'href="?lang=ko"' in page.text
    assert re.search(r'href="\?lang=ko"[^>]*aria-current="true"', page.text)


def test_switching_language_keeps_the_rest_of_the_address(client):
    page = client.get("/auth/login?next=/account&lang=en")
    assert 'href="?next=%2Faccount&amp;lang=ko"' in page.text
    switched = client.get("/auth/login?next=%2Faccount&lang=ko")
    assert 'name="next" type="hidden" value="/account"' in switched.text


@pytest.mark.parametrize("value", ["xx", "KO", "ko;drop", ""])
def test_unsupported_language_choice_is_ignored(client, value):
    client.get("/?lang=ko")
    response = client.get(f"/auth/login?lang={value}")
    assert response.status_code == 200
    assert '<html lang="ko">' in response.text  # the earlier choice still holds
    assert "lang" not in parse_set_cookies(response)

    stranger = client.application.test_client()
    stranger.set_cookie("lang", value or "zz")
    assert '<html lang="en">' in stranger.get("/").text


def test_failed_sign_up_explains_in_korean(client, auth):
    client.set_cookie("lang", "ko")
    cases = [
        (("not-an-email", "long-enough-1", "long-enough-1"), "올바른 이메일 주소를 입력하세요."),
        (("", "long-enough-1", "long-enough-1"), "이메일 주소를 입력하세요."),
        (("a@example.com", "short", "short"), "8자 이상 입력하세요."),
        (("a@example.com", "long-enough-1", "long-enough-2"), "두 비밀번호가 일치하지 않습니다."),
        (
            ("x" * 310 + "@example.com", "long-enough-1", "long-enough-1"),
            "320자 이하로 입력하세요.",
        ),
    ]
    for (email, password, confirm), reason in cases:
        response = auth.register(email, password, confirm)
        assert response.status_code == 200 and reason in response.text, reason
        assert '<html lang="ko">' in response.text
        assert "Enter" not in visible_text(response.text) and "Use at" not in response.text


def test_duplicate_sign_up_and_flash_messages_in_korean(client, auth):
    client.set_cookie("lang", "ko")
    assert auth.register("dup@example.com").status_code == 302
    assert "환영합니다! 계정이 만들어졌습니다." in client.get("/account").text
    other = client.application.test_client()
    other.set_cookie("lang", "ko")
    from tests.helpers import AuthActions

    again = AuthActions(other).register("dup@example.com")
    assert "이 이메일로 가입된 계정이 이미 있습니다." in again.text

    logout = auth.logout()
    assert logout.status_code == 302
    assert "로그아웃되었습니다." in client.get(logout.location).text


def test_invalid_credentials_in_both_languages(client, auth):
    english = auth.login("nobody@example.com", "wrong-password-1")
    assert "Invalid email or password." in english.text
    client.set_cookie("lang", "ko")
    korean = auth.login("nobody@example.com", "wrong-password-1")
    assert korean.status_code == 200
    assert "이메일 또는 비밀번호가 올바르지 않습니다." in korean.text
    assert "Invalid email or password." not in korean.text


def test_error_pages_in_korean(client):
    missing = client.get("/no-such-page", headers=KOREAN_BROWSER)
    assert missing.status_code == 404 and '<html lang="ko">' in missing.text
    assert (
        "페이지를 찾을 수 없음" in missing.text
        and "이 주소에는 페이지가 없습니다." in missing.text
    )
    forged = client.post(
        "/auth/login", headers=KOREAN_BROWSER, data={"email": "a@example.com", "password": "x"}
    )
    assert forged.status_code == 400 and "양식이 만료되었거나" in forged.text


def test_no_catalog_string_is_left_in_english_on_korean_pages(client, auth):
    """Every wrapped English string that has a different Korean text must not be shown."""
    catalog = load_po("ko")
    english = {m.id for m in catalog if m.id and m.string != m.id and len(m.id) > 3}
    client.set_cookie("lang", "ko")
    pages = [client.get(path) for path in ("/", "/auth/login", "/auth/register", "/missing")]
    auth.register("reader@example.com")
    pages += [client.get(path) for path in ("/", "/account")]
    for page in pages:
        text = visible_text(page.text)
        assert '<html lang="ko">' in page.text
        left = sorted(s for s in english if "%(" not in s and s in text)
        assert not left, f"{page.request.path}: {left}"
    csrf_token(pages[-1].text)  # the signed-in pages are real pages with forms
