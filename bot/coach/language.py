"""Can the coach judge this text at all? Language, gibberish and length, checked offline.

The coach's readings are tuned on English; on another language, or on text that is mostly
not words, it would only invent nudges. So it says so in one honest line instead.
Language comes from `langdetect` with a handful of profiles loaded (not all 55: each costs
about a megabyte resident); the share of real words comes from `wordfreq`'s small English
list, turned into a set once.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

MIN_WORDS = 8
ENGLISH_SHARE = 0.72  # this share of real English words reads as English without asking langdetect
GIBBERISH_SHARE = 0.55  # below this share, an answer langdetect can't place is not words
LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl", "pl", "sv", "tr", "id", "ro")  # Latin-script ones
# Other scripts are told apart by their letters alone: no profile needed.
SCRIPTS = (("ru", "CYRILLIC"), ("ar", "ARABIC"), ("hi", "DEVANAGARI"), ("ja", "HIRAGANA"), ("ja", "KATAKANA"),
           ("ko", "HANGUL"), ("zh-cn", "CJK"), ("el", "GREEK"), ("he", "HEBREW"), ("th", "THAI"))
NAMES = {"es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian", "nl": "Dutch",
         "pl": "Polish", "sv": "Swedish", "tr": "Turkish", "id": "Indonesian", "ru": "Russian", "uk": "Ukrainian",
         "ar": "Arabic", "hi": "Hindi", "zh-cn": "Chinese", "ja": "Japanese", "ko": "Korean", "vi": "Vietnamese",
         "ro": "Romanian", "el": "Greek", "he": "Hebrew", "th": "Thai"}
# Words of the trade that a general word list may not hold.
TRADE_WORDS = frozenset("""api apis sdk sdks kpi kpis otp otps sms mms mvp webhook webhooks csat nps p95 p99 sla slas
idempotency idempotent e164 crm crms ivr ivrs cpaas saas ux ui json http https url urls oauth sso saml rbac pii
gdpr hipaa dlt stir shaken tcpa ccpa pci dss soc roi arr mrr cac ltv asr wer tts llm llms rcs whatsapp ciso cto cfo
vp qa sre devops backend frontend onboarding dashboard dashboards opt optin opted runbook runbooks""".split())

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_lock = threading.Lock()
_english: frozenset[str] | None = None
_detector_factory = None


@dataclass(frozen=True)
class Verdict:
    language: str  # an ISO code such as "en" or "es"; "und" when nobody could tell
    judgeable: bool
    line: str = ""  # the one honest sentence when the answer can't be judged


def _english_words() -> frozenset[str]:
    global _english
    if _english is None:
        with _lock:
            if _english is None:
                import wordfreq
                _english = frozenset(wordfreq.top_n_list("en", 60_000, wordlist="small")) | TRADE_WORDS
    return _english


def _factory():
    global _detector_factory
    if _detector_factory is None:
        with _lock:
            if _detector_factory is None:
                import langdetect
                from langdetect.detector_factory import DetectorFactory
                folder = Path(langdetect.__file__).parent / "profiles"
                factory = DetectorFactory()
                factory.load_json_profile([(folder / code).read_text(encoding="utf-8") for code in LANGUAGES])
                factory.set_seed(0)  # langdetect samples at random; a seed makes it repeatable
                _detector_factory = factory
    return _detector_factory


def _script(text: str) -> str | None:
    """The language a non-Latin script points to, when most letters are in it."""
    import unicodedata
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    counts: dict[str, int] = {}
    for ch in letters:
        if ch.isascii():
            continue
        name = unicodedata.name(ch, "")
        for code, script in SCRIPTS:
            if name.startswith(script):
                counts[code] = counts.get(code, 0) + 1
                break
    if not counts:
        return None
    code = max(counts, key=counts.get)
    return code if counts[code] >= len(letters) * 0.3 else None


def _detect(text: str) -> tuple[str, float]:
    script = _script(text)
    if script:
        return script, 1.0
    from langdetect.lang_detect_exception import LangDetectException
    detector = _factory().create()
    detector.append(text[:3000])
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return "und", 0.0
    return best.lang, best.prob


def english_share(text: str) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return 0.0
    known = _english_words()
    return sum(w in known for w in words) / len(words)


def verdict(text: str) -> Verdict:
    """English and readable, or the one line that says why the coach won't judge it."""
    words = _WORD.findall(text)
    latin = sum(w.isascii() for w in words)
    if len(words) < MIN_WORDS and latin == len(words):
        return Verdict("en" if words else "und", False,
                       "This is too short for me to read — write a sentence or two for each step and I'll coach it.")
    share = english_share(text)
    if share >= ENGLISH_SHARE:
        return Verdict("en", True)
    lang, prob = _detect(text)
    if lang != "en" and prob >= 0.8:
        name = NAMES.get(lang, "another language")
        return Verdict(lang, False, f"This looks like {name}; I can only coach answers in English so far, "
                                    "so I won't guess at nudges — your answer is saved as written.")
    if share < GIBBERISH_SHARE:
        return Verdict(lang if lang != "en" else "und", False,
                       "I couldn't read this as an answer — most of it isn't words I recognise, so there's nothing to coach yet.")
    return Verdict("en", True)
