"""Text normalisation and word segmentation shared by the intelligence modules (pure: no Django).

normalise(text)        full-width → half-width (NFKC), Latin lower-cased, whitespace collapsed
message_text(t, b)     the one string a message is classified by: title, a separator, body
words(text)            jieba words of the normalised text, whitespace and punctuation dropped
add_domain_words(ws)   teach the segmenter words it must keep whole (e.g. 棚户区改造)
plain_words(text)      jieba words by the built-in dictionary alone (splitting a domain word into parts)

jieba is loaded lazily, once per process, from the dictionary inside the package (no download);
its log line at initialisation is silenced.
"""

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba

_SPACE = re.compile(r"\s+")
# Excel exports of the message board carry literal carriage-return markers.
_EXCEL_CR = "_x000D_"
# A token of only punctuation, symbols or spaces (Unicode categories P*, S*, Z*) carries no meaning.
_KEEP_CATEGORIES = ("L", "N", "M")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_domain_words: set[str] = set()


def normalise(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width, Latin lower-case, runs of whitespace to
    one space, trimmed. 'Ａ市　Ｂ区' → 'a市 b区'."""
    text = unicodedata.normalize("NFKC", (text or "").replace(_EXCEL_CR, " "))
    return _SPACE.sub(" ", text).strip().lower()


def message_text(title: str, body: str) -> str:
    """The text a message is classified and compared by: normalised title, a separator, normalised body.
    The title goes first: it is the densest statement of what the message is about."""
    title, body = normalise(title), normalise(body)
    if title and body:
        return f"{title} 。 {body}"
    return title or body


def _get_tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in sorted(_domain_words):
                tokenizer.add_word(word)
            _tokenizer = tokenizer
        return _tokenizer


def add_domain_words(new_words: Iterable[str]) -> None:
    """Words the segmenter must keep whole (taxonomy names, department names). Idempotent."""
    fresh = {normalise(word) for word in new_words} - _domain_words
    fresh.discard("")
    if not fresh:
        return
    with _lock:
        _domain_words.update(fresh)
        tokenizer = _tokenizer
    if tokenizer is not None:
        for word in sorted(fresh):
            tokenizer.add_word(word)


def _meaningful(token: str) -> bool:
    return any(unicodedata.category(char)[0] in _KEEP_CATEGORIES for char in token)


def words(text: str) -> list[str]:
    """jieba words (precise mode) of the normalised text, without whitespace or punctuation tokens."""
    normalised = normalise(text)
    if not normalised:
        return []
    return [token for token in _get_tokenizer().lcut(normalised) if _meaningful(token)]


def plain_words(text: str) -> list[str]:
    """Like words(), by jieba's built-in dictionary only: domain words are split into their parts
    (园林绿化环卫 → 园林, 绿化, 环卫), which is what a keyword lexicon built from names needs."""
    normalised = normalise(text)
    if not normalised:
        return []
    with _lock:
        jieba.setLogLevel(logging.WARNING)
        jieba.dt.initialize()
    return [token for token in jieba.dt.lcut(normalised) if _meaningful(token)]
