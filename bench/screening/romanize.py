"""Romanisation of Russian and Ukrainian Cyrillic by the published systems, for the second evaluation generator.

Written from the standards' own tables (not from the engine's skeleton rules):
  - GOST 7.79-2000 system A (= ISO 9:1995, one letter with diacritics per Cyrillic letter), Russian and Ukrainian;
  - GOST 7.79-2000 system B (ASCII: cz/c, shh, y', e`, ` for ь, `` for ъ), Russian and Ukrainian;
  - BGN/PCGN 1947 Russian, plain (marks dropped, as commonly printed) and strict (ë, ʹ for ь, ʺ for ъ, a middle dot
    between letters that would otherwise read as a digraph: t·s, sh·ch, k·h, s·h, z·h, ts·h, y·a ...);
  - BGN/PCGN 1965 Ukrainian (h for г, ' for ь);
  - ICAO Doc 9303 (7th ed., Russian passports since 2013: й i, ю iu, я ia, ъ ie, ц ts, ь dropped);
  - MVD 1997 (Russian passports 1997-2010: й y, ю yu, я ya, е ye after vowels and ь/ъ, ь and ъ dropped);
  - MVD 2010 (order 2010-2013: й i, ц tc, ю iu, я ia, ь and ъ dropped);
  - Ukrainian national system 2010 (KMU resolution 55: г h, ґ g, initial є/ї/й/ю/я as ye/yi/y/yu/ya, otherwise
    ie/i/i/iu/ia; ь and ' dropped; зг as zgh);
  - informal English habit (y for -ий, x for кс, ya/yu, e for э), German (Duden: w, sch, tsch, schtsch, ch, z, j)
    and French (ou, ch, tch, chtch, kh, ts, j for ж, ï/i, -ov/-off) spellings.
"""

RU_VOWELS = set("аеёиоуыэюя")
UK_VOWELS = set("аеєиіїоуюя")
SOFT = set("ьъ'’ʼ")

# ---- GOST 7.79 A / ISO 9 ----
ISO9_RU = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                   ["a", "b", "v", "g", "d", "e", "ë", "ž", "z", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s",
                    "t", "u", "f", "h", "c", "č", "š", "ŝ", "ʺ", "y", "ʹ", "è", "û", "â"]))
ISO9_UK = dict(ISO9_RU)
ISO9_UK.update({"г": "g", "ґ": "g̀", "е": "e", "є": "ê", "и": "y", "і": "ì", "ї": "ï", "'": "ʼ", "’": "ʼ", "ь": "ʹ"})

# ---- GOST 7.79 B ----
GOSTB_RU = dict(zip("абвгдеёжзийклмнопрстуфхчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s",
                     "t", "u", "f", "x", "ch", "sh", "shh", "``", "y'", "`", "e`", "yu", "ya"]))
GOSTB_UK = dict(GOSTB_RU)
GOSTB_UK.update({"г": "g", "ґ": "g`", "е": "e", "є": "ye", "и": "y'", "і": "i", "ї": "yi", "'": "''", "’": "''"})

# ---- BGN/PCGN ----
BGN_RU = dict(zip("абвгджзийклмнопрстуфхцчшщыэюя",
                  ["a", "b", "v", "g", "d", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
                   "f", "kh", "ts", "ch", "sh", "shch", "y", "e", "yu", "ya"]))
BGN_UK = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
                  ["a", "b", "v", "h", "g", "d", "e", "ye", "zh", "z", "y", "i", "yi", "y", "k", "l", "m", "n", "o",
                   "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "'", "yu", "ya"]))
# Pairs BGN/PCGN separates with a middle dot so that they do not read as one digraph.
BGN_DOT_PAIRS = {("т", "с"), ("ш", "ч"), ("к", "х"), ("с", "х"), ("з", "х"), ("ц", "х"), ("ч", "х"), ("ш", "х"),
                 ("э", "")}

# ---- ICAO 9303 / MVD ----
ICAO_RU = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                   ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
                    "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "ie", "y", "", "e", "iu", "ia"]))
MVD1997_RU = dict(ICAO_RU)
MVD1997_RU.update({"й": "y", "ъ": "", "ю": "yu", "я": "ya", "ё": "e"})
MVD2010_RU = dict(ICAO_RU)
MVD2010_RU.update({"ц": "tc", "ъ": "", "ё": "e"})

# ---- Ukrainian 2010 ----
UA2010 = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
                  ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m", "n", "o",
                   "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia"]))
UA2010_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}

# ---- informal, German, French ----
INFORMAL_RU = dict(zip("абвгдежзийклмнопрстуфхцчшщъыьэюя",
                       ["a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
                        "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))
GERMAN_RU = dict(zip("абвгдежзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "w", "g", "d", "e", "sch", "s", "i", "j", "k", "l", "m", "n", "o", "p", "r", "s",
                      "t", "u", "f", "ch", "z", "tsch", "sch", "schtsch", "", "y", "", "e", "ju", "ja"]))
FRENCH_RU = dict(zip("абвгдежзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "j", "z", "i", "ï", "k", "l", "m", "n", "o", "p", "r", "s",
                      "t", "ou", "f", "kh", "ts", "tch", "ch", "chtch", "", "y", "", "e", "iou", "ia"]))


def _cap(text, upper_first):
    if not text:
        return text
    return text[0].upper() + text[1:] if upper_first else text


def romanize(word, lang, system, rng):
    """Romanise one Cyrillic word (any case) by `system`; `lang` is "ru" or "uk"; rng draws free choices."""
    low = word.lower()
    upper_first = word[:1].isupper()
    vowels = UK_VOWELS if lang == "uk" else RU_VOWELS
    out = []
    n = len(low)
    for i, c in enumerate(low):
        prev = low[i - 1] if i > 0 else ""
        nxt = low[i + 1] if i + 1 < n else ""
        start = i == 0
        after_vowel = prev in vowels or prev in SOFT
        if not ("\u0400" <= c <= "\u04ff" or c in SOFT):
            out.append(c)
            continue
        t = None
        if system == "iso9":
            t = (ISO9_UK if lang == "uk" else ISO9_RU).get(c, "")
        elif system == "gost_b":
            table = GOSTB_UK if lang == "uk" else GOSTB_RU
            if c == "ц":
                t = "c" if nxt in ("е", "и", "і", "ы", "й", "є", "ї") else "cz"
            else:
                t = table.get(c, "")
        elif system in ("bgn", "bgn_strict"):
            if lang == "uk":
                t = BGN_UK.get(c, "")
                if c in "'’":
                    t = '"'
                if system == "bgn" and c in "ь'’":
                    t = ""
            else:
                strict = system == "bgn_strict"
                if c == "е":
                    t = "ye" if (start or prev in vowels or prev in "йъь") else "e"
                elif c == "ё":
                    initial = start or prev in vowels or prev in "йъь"
                    if strict:
                        t = "yë" if initial else "ë"
                    else:
                        t = rng.choice(["ye", "yo"]) if initial else rng.choice(["e", "yo"])
                elif c == "ь":
                    t = "ʹ" if strict else ""
                elif c == "ъ":
                    t = "ʺ" if strict else ""
                else:
                    t = BGN_RU.get(c, "")
                if strict and out and ((prev, c) in BGN_DOT_PAIRS or (prev == "ы" and c in vowels)
                                       or (prev == "й" and c in "аоуыэ")):
                    t = "·" + t
        elif system == "icao":
            t = ICAO_RU.get(c, "")
        elif system == "mvd1997":
            if c == "е" and (start or prev in vowels or prev in "ьъ"):
                t = "ye"
            else:
                t = MVD1997_RU.get(c, "")
        elif system == "mvd2010":
            t = MVD2010_RU.get(c, "")
        elif system == "ua2010":
            if start and c in UA2010_INITIAL:
                t = UA2010_INITIAL[c]
            elif c == "г" and prev == "з":
                t = "gh"
            elif c in "'’ʼ":
                t = ""
            else:
                t = UA2010.get(c, "")
        elif system == "ua_informal":
            # The habit before 2010: Serhiy, Oleksiy, Yuriy (y for й/ї at the end), ye/yu/ya everywhere.
            if c == "й":
                t = "y"
            elif c in "єюя":
                t = {"є": "ye", "ю": "yu", "я": "ya"}[c]
            elif c == "ї":
                t = "yi"
            elif c in "ь'’":
                t = ""
            else:
                t = UA2010.get(c, "")
        elif system == "informal":
            if c == "к" and nxt == "с":
                t = "x"
            elif c == "с" and prev == "к":
                t = ""
            elif c == "е" and start:
                t = rng.choice(["e", "ye"])
            elif c == "ё":
                t = rng.choice(["e", "yo"])
            elif c == "й" and prev in "иы" and i == n - 1:
                t = "y"
                if out and out[-1] in ("i", "y"):
                    out[-1] = ""
                    t = rng.choice(["y", "iy", "ii"])
            elif c in "ьъ" and nxt in ("е", "ё", "ю", "я", "и"):
                t = ""
            else:
                t = INFORMAL_RU.get(c, "")
        elif system == "german":
            if c == "е" and (start or prev in vowels or prev in "ьъ"):
                t = "je"
            elif c == "ё":
                t = "jo"
            elif c == "с" and prev in vowels and nxt in vowels:
                t = "ss"
            elif c == "й" and prev in "иы" and i == n - 1:
                t = ""
            elif c == "в" and i == n - 1:
                t = rng.choice(["w", "ff"])
            else:
                t = GERMAN_RU.get(c, "")
        elif system == "french":
            if c == "е" and (start or prev in vowels or prev in "ьъ"):
                t = "ie"
            elif c == "ё":
                t = "io"
            elif c == "с" and prev in vowels and nxt in vowels:
                t = "ss"
            elif c == "г" and nxt in ("е", "и", "ы", "э"):
                t = "gu"
            elif c == "й" and prev in "иы" and i == n - 1:
                t = ""
            elif c == "й":
                t = "ï" if prev in "ао" else "i"
            elif c == "в" and i == n - 1 and prev == "о":
                t = rng.choice(["v", "ff"])
            else:
                t = FRENCH_RU.get(c, "")
        else:
            raise ValueError(system)
        out.append(t)
    return _cap("".join(out), upper_first)


SYSTEMS_RU = ["iso9", "gost_b", "bgn", "bgn_strict", "icao", "mvd1997", "mvd2010", "informal", "german", "french"]
SYSTEMS_UK = ["iso9", "gost_b", "bgn", "ua2010", "ua_informal"]

# ---- typing errors ----
QWERTY = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
JCUKEN = ["йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"]


def _neighbours(rows):
    table = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            near = set()
            for dr in (-1, 0, 1):
                rr = r + dr
                if 0 <= rr < len(rows):
                    for dc in (-1, 0, 1):
                        cc = c + dc
                        if (dr, dc) != (0, 0) and 0 <= cc < len(rows[rr]):
                            near.add(rows[rr][cc])
            table[ch] = sorted(near)
    return table


NEIGHBOURS = {**_neighbours(QWERTY), **_neighbours(JCUKEN)}


def typo(word, rng):
    """One typing error: a neighbouring key, a dropped, doubled or swapped letter. Returns (word, kind)."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 4:
        return word, ""
    kind = rng.choice(["neighbour", "drop", "double", "swap"])
    # First letters are typed with more care; errors fall mostly after it.
    i = rng.choice(letters[1:] if rng.random() < 0.85 else letters)
    c = word[i]
    if kind == "neighbour":
        near = NEIGHBOURS.get(c.lower())
        if not near:
            kind = "drop"
        else:
            r = rng.choice(near)
            return word[:i] + (r.upper() if c.isupper() else r) + word[i + 1:], kind
    if kind == "drop":
        return word[:i] + word[i + 1:], kind
    if kind == "double":
        return word[:i + 1] + c.lower() + word[i + 1:], kind
    if i + 1 < len(word) and word[i + 1].isalpha() and word[i + 1].lower() != c.lower():
        return word[:i] + word[i + 1] + c + word[i + 2:], "swap"
    return word[:i] + word[i + 1:], "drop"
