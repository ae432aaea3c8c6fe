"""Input hygiene in one place: what text may enter salescoach, on every route.

Unwanted characters are control characters (Unicode Cc: NUL, the rest of C0, DEL, C1) and lone
surrogates (Cs, which no database can store). Tab, line feed and carriage return are text in a
body (multi-line turns and comments), never in a path or a query. The gate, `InputHygiene`,
runs before any route:
- path or query string holding one: 422;
- JSON body holding one in any key or string, at any depth: 422 naming where;
- URL-encoded form body: the characters are removed (a browser form cannot show a 422, and the
  user keeps what they typed);
- any other body with a control byte (no route takes files): 422.
Text that must say something (a turn, a comment, a coached utterance) is refused when it holds
nothing visible: only blanks, zero-width and other format characters, fillers.
Usernames are normalised (`username`) and passwords have a minimum length (`check_password`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from pydantic import AfterValidator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_TEXT_CONTROLS = frozenset("\t\n\r")
# Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def unwanted(ch: str, *, in_body: bool) -> bool:
    if in_body and ch in BODY_TEXT_CONTROLS:
        return False
    return unicodedata.category(ch) in ("Cc", "Cs")


# The characters `unwanted` names (Cc is C0, DEL and C1; Cs the surrogates), as one search:
# every request's path, query and JSON strings are checked.
_UNWANTED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNWANTED_IN_BODY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_unwanted(text: str, *, in_body: bool = True) -> bool:
    return (_UNWANTED_IN_BODY if in_body else _UNWANTED).search(text) is not None


def without_unwanted(text: str) -> str:
    return "".join(ch for ch in text if not unwanted(ch, in_body=True))


def has_visible(text: str) -> bool:
    """Whether the text shows anything: not only blanks, format characters or fillers."""
    return any(
        not ch.isspace()
        and ch not in INVISIBLE_LETTERS
        and unicodedata.category(ch) not in INVISIBLE_CATEGORIES
        for ch in text
    )


def _visible(text: str) -> str:
    if not has_visible(text):
        raise ValueError("the text is empty: it holds no visible character")
    if has_unwanted(text):
        raise ValueError("control characters are not allowed")
    return text


# A str field that must show something (turns, comments, analysed utterances).
VisibleText = Annotated[str, AfterValidator(_visible)]


# --- the gate -----------------------------------------------------------------------------


def unwanted_at(value: Any, loc: list[str | int]) -> list[str | int] | None:
    """Where in a parsed JSON value a key or string holds an unwanted character, if anywhere."""
    if isinstance(value, str):
        return loc if has_unwanted(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if has_unwanted(key):
                return [*loc, key]
            found = unwanted_at(item, [*loc, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unwanted_at(item, [*loc, index])
            if found is not None:
                return found
    return None


def _refusal(loc: list[str | int]) -> dict[str, Any]:
    return {
        "detail": [
            {
                "loc": loc,
                "msg": "control characters (such as NUL) are not allowed",
                "type": "control_character",
            }
        ]
    }


def _invalid_json() -> dict[str, Any]:
    issue = {"loc": ["body"], "msg": "the body is not UTF-8 encoded JSON", "type": "json_invalid"}
    return {"detail": [issue]}


class InputHygiene:
    """ASGI middleware applying the rules of this module to every HTTP request.

    It expects the whole body in one message (`app.limits.BodySizeLimit` runs before it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self._check_address(scope)
        if refused is not None:
            await _send_json(send, 422, refused)
            return
        message = await receive()
        if message["type"] == "http.request" and message.get("body"):
            body, refused = self._clean_body(scope, message["body"])
            if refused is not None:
                await _send_json(send, 422, refused)
                return
            if body is not message["body"]:
                scope = _with_length(scope, len(body))
                message = {**message, "body": body}
        pending = [message]

        async def replayed() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replayed, send)

    @staticmethod
    def _check_address(scope: Scope) -> dict[str, Any] | None:
        if has_unwanted(scope["path"], in_body=False):
            return _refusal(["path"])
        query = scope.get("query_string", b"").decode("utf-8", "replace")
        for key, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
            if has_unwanted(key, in_body=False):
                return _refusal(["query"])
            if has_unwanted(value, in_body=False):
                return _refusal(["query", key])
        return None

    @staticmethod
    def _clean_body(scope: Scope, body: bytes) -> tuple[bytes, dict[str, Any] | None]:
        """The body to pass on (the same object when unchanged), or why it is refused."""
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        # FastAPI reads a body without a content type as JSON too.
        if kind in (b"", b"application/json") or kind.endswith(b"+json"):
            try:
                loc = unwanted_at(json.loads(body), ["body"])
                return body, (_refusal(loc) if loc is not None else None)
            except RecursionError:
                return body, {"detail": "the JSON body is nested too deeply"}
            except UnicodeDecodeError:
                # FastAPI would answer 400 "error parsing the body"; it is invalid input.
                return body, _invalid_json()
            except ValueError:
                pass  # not JSON: the raw bytes are checked below, the route says the rest
        if kind == b"application/x-www-form-urlencoded":
            text = body.decode("utf-8", "replace")
            pairs = parse_qsl(text, keep_blank_values=True, errors="replace")
            if not any(has_unwanted(k) or has_unwanted(v) for k, v in pairs):
                return body, None
            cleaned = [(without_unwanted(k), without_unwanted(v)) for k, v in pairs]
            return urlencode(cleaned).encode(), None
        if any(b < 0x20 and b not in (9, 10, 13) or b == 0x7F for b in body):
            return body, _refusal(["body"])
        return body, None


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


async def _send_json(send: Send, status: int, content: dict[str, Any]) -> None:
    body = json.dumps(content).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- usernames and passwords ----------------------------------------------------------------

USERNAME_PUNCTUATION = frozenset("._-")
# Scripts that may be mixed in one name (UTS #39 "highly restrictive"): Latin with the scripts
# of Chinese, Japanese and Korean writing. Any other mix (Latin with Cyrillic, say) is refused.
SCRIPT_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# Cyrillic and Greek letters that look like Latin ones: a name made of these alone passes for a
# Latin name (`рое` for `poe`) and is refused.
LATIN_LOOKALIKES = frozenset("аеорсухіјѕԁһԛԝӏоαεικνορτυχ")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    return "HAN" if first == "CJK" else first


def username(raw: str) -> str:
    """The stored form of a username: NFKC, case-folded, surrounding blanks dropped.

    Raises ValueError (a message for the user) for spaces, invisible or control characters,
    characters other than letters, digits and `._-`, scripts that do not go together, and
    Cyrillic or Greek names that look Latin."""
    name = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold()).strip()
    if not 1 <= len(name) <= 100:
        raise ValueError("a username is 1 to 100 characters")
    scripts: set[str] = set()
    for ch in name:
        category = unicodedata.category(ch)
        if ch in USERNAME_PUNCTUATION or ch in "0123456789":
            continue
        if category in ("Mn", "Mc") and scripts:
            continue  # an accent or vowel sign on the letter before it
        if not category.startswith("L") or ch in INVISIBLE_LETTERS:
            raise ValueError(
                "a username holds only letters, digits, '.', '_' and '-' "
                "(no spaces or invisible characters)"
            )
        scripts.add(_script(ch))
    if len(scripts) > 1 and not any(scripts <= mix for mix in SCRIPT_MIXES):
        raise ValueError(
            f"a username may not mix these scripts: {', '.join(sorted(scripts)).lower()} "
            "(letters of one look like another's)"
        )
    letters = [ch for ch in name if unicodedata.category(ch).startswith("L")]
    if scripts & {"CYRILLIC", "GREEK"} and all(ch in LATIN_LOOKALIKES for ch in letters):
        raise ValueError("this username looks like a Latin one written in other letters")
    return name


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1000


def check_password(password: str) -> str:
    """The password, or ValueError when it is too short, too long or holds control characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    if has_unwanted(password, in_body=False):
        raise ValueError("a password may not hold control characters")
    return password
