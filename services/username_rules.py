"""Usernames that cannot pass for one another.

A name is kept in NFKC form (``ａｌｉｃｅ`` is ``alice``) and compared through its *skeleton*, in
the manner of Unicode's UTS #39: every character replaced by the prototype of the characters it
can be mistaken for, case folded, so that ``аlice`` (Cyrillic а), ``ALICE`` and ``alice`` share
one. The prototypes come from the Unicode confusables list shipped by ``confusable_homoglyphs``.
``accounts.User.username_skeleton`` stores a digest of each name's skeleton (``skeleton_key``)
under a unique constraint: a skeleton can be seven times longer than its name (a Hangul syllable
becomes several jamo, each mapped), too long for a PostgreSQL index entry; the digest never is.

A name mixing scripts that hold look-alike letters (Latin with Cyrillic...) is refused outright,
except for the mixes one language writes with (Japanese: Han with kana; Korean: Han with Hangul;
Han with Bopomofo), which UTS #39 counts as a single script too.

The skeletons depend on that list: after upgrading ``confusable_homoglyphs``, existing rows keep
the skeletons computed with the old one until they are computed again.
"""

import hashlib
import unicodedata
from functools import lru_cache

SKELETON_KEY_LENGTH = 32

_IGNORED_SCRIPTS = frozenset({"COMMON", "INHERITED"})
_ONE_WRITING_SYSTEM = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)
_LRM = "\u200e"  # the library wraps right-to-left characters in marks so that its file reads well


def normalise(name: str) -> str:
    """The form a username is stored and compared in (Django's ``normalize_username`` does the same)."""
    return unicodedata.normalize("NFKC", name or "")


def skeleton(name: str) -> str:
    """What two names that look alike have in common."""
    return _settle(normalise(name).casefold())


def skeleton_key(name: str) -> str:
    """The skeleton's digest, as stored for every user."""
    return _digest(skeleton(name))


def lookalike_keys(name: str) -> frozenset[str]:
    """Every ``skeleton_key`` a new name must not share with an existing user's.

    Folding case first (``skeleton``) keeps ``ALICE`` with ``alice``; mapping first also catches
    a capital I standing for an l (``aIice``), which case folding would have turned into an i."""
    name = normalise(name)
    return frozenset({_digest(skeleton(name)), _digest(_settle(_fold(name)))})


def mixes_lookalike_scripts(name: str) -> bool:
    # The library loads its Unicode tables when imported: here, at the first name checked.
    from confusable_homoglyphs import categories, confusables

    scripts = categories.unique_aliases(normalise(name)) - _IGNORED_SCRIPTS
    if len(scripts) <= 1 or any(scripts <= group for group in _ONE_WRITING_SYSTEM):
        return False
    return bool(confusables.is_dangerous(normalise(name)))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=SKELETON_KEY_LENGTH // 2).hexdigest()


def _settle(text: str) -> str:
    # A prototype may be a capital (O for 0) whose lower case has its own prototype: repeat
    # until nothing changes (twice in practice; the bound only guards against a cycle).
    for _ in range(4):
        folded = _fold(text).casefold()
        if folded == text:
            break
        text = folded
    return text


def _fold(text: str) -> str:
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(c, c) for c in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Character -> prototype, from the library's table, which lists each confusable pair both ways.

    A character listed with several others is a prototype (they all map to it); one listed with a
    single other maps to it, unless that other is listed with it alone too: for such a pair either
    may be the prototype, and the smaller is taken, which keeps them together all the same."""
    from confusable_homoglyphs import confusables

    data = confusables.confusables_data
    table: dict[str, str] = {}
    for key, entries in data.items():
        char = key.replace(_LRM, "")
        if len(char) != 1 or len(entries) != 1:
            continue
        target = entries[0]["c"].replace(_LRM, "")
        if len(target) == 1 and len(data.get(entries[0]["c"], ())) == 1:
            target = min(char, target)
        if target != char:
            table[char] = target
    return table
