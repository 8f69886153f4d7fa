#!/usr/bin/env python3
"""Second, independent evaluation generator for `sito screen`, written from the published romanisation standards
(romanize.py) and a typing-error model, with hard negatives for every kind of relative.

usage: gen_standards.py OUT_DIR [--split validation|test] [--watchlist N] [--applicants M] [--seed S]

Files as in the public sample: watchlist.csv, watchlist.jsonl (FollowTheMoney, with some non-Person entities),
applicants.csv, truth.csv, applicants_meta.csv (category, subtype, system, noise, ...; for error analysis only).

The two splits draw people from disjoint halves of the surname and given-name pools (as the held-out set does with
respect to the public sample), with their own fixed seeds: `validation` (seed 101) is where thresholds may be
chosen, `test` (seed 202) is only ever reported.

Guarantee, as in the sample: no applicant outside truth.csv could be the same person as any watchlist entry
judging by what is shown. Every non-match applicant sharing surname and given name with an entry has a date of
birth that rules that entry out beyond any slip the noise model makes (day off by one, one digit of the day,
day and month swapped); relatives differ in given name, patronymic or sex.
"""
import argparse
import csv
import json
import os
import random

import pools
from romanize import SYSTEMS_RU, SYSTEMS_UK, romanize, typo

UK_SYSTEMS = {"cyr_uk"} | {"uk:" + s for s in SYSTEMS_UK}
ALL_SYSTEMS = ["cyr_ru", "cyr_uk"] + ["ru:" + s for s in SYSTEMS_RU] + ["uk:" + s for s in SYSTEMS_UK]
SPLIT_SEEDS = {"validation": 101, "test": 202}


# ---------------- grammar ----------------
def feminine_surname(ru):
    for masc, fem in (("ский", "ская"), ("цкий", "цкая"), ("ой", "ая"), ("ый", "ая")):
        if ru.endswith(masc):
            return ru[: -len(masc)] + fem
    if ru.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return ru + "а"
    return ru  # -ко, -ук, -их, -ич, -ь, -ак ... do not change


def ukrainian_spelling(ru):
    """A Russian-spelt name in Ukrainian letters (и → і, ы → и, э → е, ё → ьо/йо, е after a vowel → є)."""
    special = {"ская": "ська", "цкая": "цька", "ский": "ський", "цкий": "цький", "ской": "ськой", "цкой": "цькой"}
    word = ru
    for a, b in special.items():
        if word.endswith(a):
            word = word[: -len(a)] + b
            break
    if word.endswith("ая"):
        word = word[:-2] + "а"
    out = []
    vowels = "аеёиоуыэюяіїє"
    for i, c in enumerate(word):
        lower = c.lower()
        prev = word[i - 1].lower() if i else ""
        if lower == "и":
            t = "ї" if prev in vowels and prev else "і"
        elif lower == "ы":
            t = "и"
        elif lower == "э":
            t = "е"
        elif lower == "ё":
            t = "йо" if (not prev or prev in vowels) else "ьо"
        elif lower == "е" and (not prev or prev in vowels):
            t = "є"
        elif lower == "ъ":
            t = "'"
        else:
            t = lower
        out.append(t.upper() if c.isupper() and len(t) == 1 else (t[0].upper() + t[1:] if c.isupper() else t))
    return "".join(out)


def ukrainian_surname(ru_surname):
    # Ukrainian-origin surnames keep their own letters, but -иенко is -ієнко and -ий -ій rules apply.
    if ru_surname.endswith(("енко", "ук", "юк", "чук")) or ru_surname in ("Коваль", "Литвин", "Мазур", "Гринь"):
        return ru_surname.replace("иенко", "ієнко").replace("и", "и")
    return ukrainian_spelling(ru_surname)


RU_PATRONYMIC_IRREGULAR = {}
UK_PATRONYMIC = {"Микола": ("Миколайович", "Миколаївна"), "Ілля": ("Ілліч", "Іллівна"), "Кузьма": ("Кузьмич", "Кузьмівна"),
                 "Лука": ("Лукич", "Луківна"), "Хома": ("Хомич", "Хомівна"), "Сава": ("Савич", "Савівна"),
                 "Федір": ("Федорович", "Федорівна"), "Яків": ("Якович", "Яківна"), "Лев": ("Львович", "Львівна")}


def ru_patronymic(father, sex):
    ru, _uk, _inf, stem = father
    if ru.endswith(("а", "я")):
        stem = stem or ru[:-1]
        if sex == "m":
            return stem + "ич"
        # Никитична, Саввична, but Ильинична, Кузьминична, Лукинична, Фоминична
        return stem + ("инична" if ru in ("Илья", "Кузьма", "Лука", "Фома") else "ична")
    if stem:
        base = stem + "ов"
    elif ru.endswith("ий"):
        base = ru[:-2] + "ьев"
    elif ru.endswith(("ей", "ай", "уй")):
        base = ru[:-1] + "ев"
    elif ru.endswith("ь"):
        base = ru[:-1] + "ев"
    elif ru.endswith(("ж", "ш", "ч", "щ", "ц", "о")):
        base = ru + "ев"
    else:
        base = ru + "ов"
    return base + ("ич" if sex == "m" else "на")


def uk_patronymic(father, sex):
    _ru, uk, _inf, _stem = father
    if uk in UK_PATRONYMIC:
        return UK_PATRONYMIC[uk][0 if sex == "m" else 1]
    if uk.endswith("ій"):
        return uk + "ович" if sex == "m" else uk[:-1] + "ївна"
    if uk.endswith("й"):
        return uk + "ович" if sex == "m" else uk[:-1] + "ївна"
    if uk.endswith(("о", "а")):
        stem = uk[:-1]
        return stem + ("ович" if sex == "m" else "івна")
    if uk.endswith("ь"):
        return uk + "ович" if sex == "m" else uk[:-1] + "івна"
    return uk + ("ович" if sex == "m" else "івна")


# ---------------- people ----------------
class Person:
    __slots__ = ("surname", "sex", "given", "father", "dob", "place", "ukrainian")

    def __init__(self, surname, sex, given, father, dob, place, ukrainian):
        self.surname, self.sex, self.given, self.father = surname, sex, given, father
        self.dob, self.place, self.ukrainian = dob, place, ukrainian

    def key(self):
        return (self.surname, self.given[0])

    def words(self, lang):
        """(surname, given, patronymic) in Cyrillic of `lang`."""
        sur = self.surname if self.sex == "m" else feminine_surname(self.surname)
        if lang == "uk":
            return (ukrainian_surname(sur), self.given[1], uk_patronymic(self.father, self.sex))
        return (sur, self.given[0], ru_patronymic(self.father, self.sex))


def random_dob(rng, low=1955, high=2005):
    y = rng.randint(low, high)
    m = rng.randint(1, 12)
    return (y, m, rng.randint(1, 28))


def days_in(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def shown_date(dob, rng, weights):
    y, m, d = dob
    kind = rng.choices(["full", "ym", "y", "none"], weights)[0]
    return {"full": (y, m, d), "ym": (y, m, None), "y": (y, None, None), "none": None}[kind], kind


def fmt(date):
    if date is None:
        return ""
    y, m, d = date
    return f"{y:04d}" + (f"-{m:02d}" if m else "") + (f"-{d:02d}" if d else "")


def slips(day, month, year):
    """The date slips of the noise model, as (year, month, day) triples (valid dates only)."""
    out = set()
    for dd in (day - 1, day + 1):
        if 1 <= dd <= days_in(year, month):
            out.add((year, month, dd))
    text = f"{day:02d}"
    for pos in range(2):
        for digit in "0123456789":
            t = text[:pos] + digit + text[pos + 1:]
            dd = int(t)
            if t != text and 1 <= dd <= days_in(year, month):
                out.add((year, month, dd))
    if day <= 12 and day != month and month <= days_in(year, day):
        out.add((year, day, month))
    return out


def could_be_same(a, b):
    """Could the two shown dates be one person's, given the noise model?"""
    if a is None or b is None:
        return True
    if a[0] != b[0]:
        return False
    if a[1] is None or b[1] is None:
        return True
    if a[2] is None or b[2] is None:
        return a[1] == b[1] or (a[2] or b[2] or 0) in (a[1], b[1])
    return (a[0], a[1], a[2]) == b or b in slips(a[2], a[1], a[0])


# ---------------- writing names ----------------
def initial(word):
    return word[0].upper() + "."


def write_name(person, system, order, with_patronymic, case, rng, noise=None):
    lang = "uk" if system in UK_SYSTEMS else "ru"
    sur, given, pat = person.words(lang)
    parts = {"s": sur, "g": given, "p": pat}
    applied = []
    if system not in ("cyr_ru", "cyr_uk"):
        sys_name = system.split(":", 1)[1]
        informal_given = person.given[2]
        for k in ("s", "g", "p"):
            parts[k] = romanize(parts[k], lang, sys_name, rng)
        if sys_name in ("informal", "ua_informal") and informal_given and rng.random() < 0.35:
            parts["g"] = informal_given
    for k in noise or ():
        word, kind = typo(parts[k], rng)
        if kind:
            parts[k] = word
            applied.append(f"typo_{'surname' if k == 's' else 'given' if k == 'g' else 'patronymic'}")
    s, g, p = parts["s"], parts["g"], parts["p"]
    if case == "upper":
        s, g, p = s.upper(), g.upper(), p.upper()
    elif case == "surname_upper":
        s = s.upper()
    tail = [p] if with_patronymic else []
    if order == "SGP":
        name = " ".join([s, g] + tail)
    elif order == "GPS":
        name = " ".join([g] + tail + [s])
    elif order == "comma":
        name = s + ", " + " ".join([g] + tail)
    elif order == "initials":
        name = " ".join([s, initial(g)] + ([initial(p)] if with_patronymic else []))
    else:
        raise ValueError(order)
    return name, applied


def write_place(person, rng):
    if person.place is None or rng.random() < 0.3:
        return ""
    cyr, eng = person.place
    if person.dob[0] < 1991 and cyr in pools.OLD_CITY and rng.random() < 0.5:
        cyr = pools.OLD_CITY[cyr]
    r = rng.random()
    if r < 0.5:
        return cyr
    if r < 0.6:
        return "г. " + cyr
    return eng


# ---------------- generation ----------------
def halves(items, split, rng_seed=7):
    """Disjoint halves of a pool, the same for every run: validation takes one, test the other."""
    order = list(items)
    random.Random(rng_seed).shuffle(order)
    return order[0::2] if split == "validation" else order[1::2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--split", choices=sorted(SPLIT_SEEDS), default="validation")
    ap.add_argument("--watchlist", type=int, default=200_000)
    ap.add_argument("--applicants", type=int, default=5_000)
    ap.add_argument("--seed", type=int, help="overrides the split's fixed seed")
    args = ap.parse_args()
    rng = random.Random(args.seed if args.seed is not None else SPLIT_SEEDS[args.split])
    surnames = halves(pools.SURNAMES, args.split)
    male = halves(pools.MALE, args.split)
    female = halves(pools.FEMALE, args.split)
    fathers = pools.MALE  # fathers' names come from the whole pool: patronymics are shared by both halves
    sex_pairs = halves(pools.SEX_PAIRS, args.split)
    # Names of the other-sex pairs join the half's pools, so both forms of a pair can be drawn.
    male_of_pair = {m: (m, mu, "", "") for m, mu, _f, _fu in sex_pairs}
    female_of_pair = {f: (f, fu, "", "") for _m, _mu, f, fu in sex_pairs}
    male = male + [g for g in male_of_pair.values() if g[0] not in {x[0] for x in male}]
    female = female + [g for g in female_of_pair.values() if g[0] not in {x[0] for x in female}]
    pair_of = {}
    for m, mu, f, fu in sex_pairs:
        mg = next(x for x in male if x[0] == m)
        fg = next(x for x in female if x[0] == f)
        pair_of[mg[0]], pair_of[fg[0]] = fg, mg
    os.makedirs(args.out, exist_ok=True)

    def new_person(surname=None, sex=None, given=None, father=None, dob=None, ukrainian=None):
        sex = sex or ("m" if rng.random() < 0.72 else "f")
        return Person(surname or rng.choice(surnames), sex, given or rng.choice(male if sex == "m" else female),
                      father or rng.choice(fathers), dob or random_dob(rng), rng.choice(pools.CITIES),
                      rng.random() < 0.25 if ukrainian is None else ukrainian)

    def pick_system(person, exclude=()):
        choices = [s for s in ALL_SYSTEMS if s not in exclude]
        uk = [s for s in choices if s in UK_SYSTEMS]
        ru = [s for s in choices if s not in UK_SYSTEMS]
        if person.ukrainian and uk and rng.random() < 0.6:
            return rng.choice(uk)
        return rng.choice(ru or uk)

    # ---- watchlist ----
    entries = []  # (id, person_index, names, shown_dob, place, systems)
    persons = []
    by_key = {}  # (surname, given) -> [(entry index, shown dob, father)]
    n_persons = int(args.watchlist / 1.02)
    for _ in range(n_persons):
        persons.append(new_person())
    listing = list(range(len(persons)))
    while len(listing) < args.watchlist:
        listing.append(rng.randrange(len(persons)))  # listed twice, under another id and other spellings
    rng.shuffle(listing)
    entry_of_person = {}
    for number, pi in enumerate(listing, 1):
        p = persons[pi]
        names, systems = [], []
        main_system = pick_system(p) if rng.random() < 0.6 else ("cyr_uk" if p.ukrainian and rng.random() < 0.3 else "cyr_ru")
        for k in range(rng.choices([1, 2, 3, 4], [0.35, 0.35, 0.2, 0.1])[0]):
            system = main_system if k == 0 else pick_system(p, exclude=systems)
            order = rng.choices(["SGP", "GPS", "comma", "initials"], [0.45, 0.3, 0.2, 0.05 if k else 0])[0]
            case = rng.choices(["title", "upper", "surname_upper"], [0.6, 0.2, 0.2])[0]
            name, _ = write_name(p, system, order, rng.random() < 0.55, case, rng)
            if name not in names:
                names.append(name)
                systems.append(system)
        dob, _kind = shown_date(p.dob, rng, [0.6, 0.08, 0.17, 0.15])
        eid = f"E{number:07d}"
        entries.append((eid, pi, names, dob, write_place(p, rng)))
        entry_of_person.setdefault(pi, []).append(len(entries) - 1)
        by_key.setdefault(p.key(), []).append((len(entries) - 1, dob))

    def ruled_out(person, shown_dob, allowed_person=None):
        """True when every entry sharing surname and given name with `person` is someone else by date."""
        for ei, edob in by_key.get(person.key(), ()):
            if entries[ei][1] == allowed_person:
                continue
            if could_be_same(shown_dob, edob):
                return False
        return True

    # ---- applicants ----
    applicants, truth, meta = [], [], []
    categories = (["match"] * 10 + ["namesake", "near_surname", "other_sex", "sibling", "child", "parent",
                                     "spouse"] * 3 + ["random"] * 69)
    number = 0
    attempts = 0
    category = None
    while len(applicants) < args.applicants:
        attempts += 1
        # A draw that fails its guarantees is drawn again in the same category, so the mix stays as set.
        if category is None or attempts > 200:
            category, attempts = rng.choice(categories), 0
        listed_pi = rng.randrange(len(persons))
        listed = persons[listed_pi]
        listed_entries = entry_of_person[listed_pi]
        noise = []
        dob_noise = ""
        if category == "match":
            person = listed
            r = rng.random()
            if r < 0.2:
                noise = ["s"]
            elif r < 0.35:
                noise = ["g"]
            elif r < 0.4:
                noise = ["s", "g"]
            shown, dob_kind = shown_date(person.dob, rng, [0.7, 0.08, 0.12, 0.1])
            if dob_kind == "full" and rng.random() < 0.15:
                y, m, d = person.dob
                choice = rng.choice(["swap", "digit", "day1"])
                if choice == "swap" and d <= 12 and d != m:
                    shown, dob_noise = (y, d, m), "dob_swap"
                elif choice == "day1":
                    dd = d + rng.choice([-1, 1])
                    if 1 <= dd <= days_in(y, m):
                        shown, dob_noise = (y, m, dd), "dob_day_off_by_one"
                else:
                    text = f"{d:02d}"
                    pos = rng.randrange(2)
                    t = text[:pos] + rng.choice([c for c in "0123456789" if c != text[pos]]) + text[pos + 1:]
                    if 1 <= int(t) <= days_in(y, m):
                        shown, dob_noise = (y, m, int(t)), "dob_digit"
            if not ruled_out(person, shown, allowed_person=listed_pi):
                continue
            related = listed_entries
        else:
            y, m, d = listed.dob
            if category == "random":
                person = new_person()
            elif category == "namesake":
                gap = rng.choice([-1, 1]) * rng.randint(1, 15)
                person = new_person(listed.surname, listed.sex, listed.given, dob=(y + gap, rng.randint(1, 12),
                                                                                   rng.randint(1, 28)))
            elif category == "near_surname":
                # Another real-looking surname one letter away (a substitution: a doubled or dropped letter would
                # be a spelling of the same name), told apart by the date of birth.
                near, kind = typo(listed.surname, rng)
                if kind != "neighbour" or near in pools.SURNAMES:
                    continue
                person = new_person(near, listed.sex, listed.given, father=listed.father,
                                    dob=(y + rng.choice([-1, 1]) * rng.randint(1, 12), m, d))
            elif category == "other_sex":
                other = pair_of.get(listed.given[0])
                if other is None:
                    continue
                twin = rng.random() < 0.5
                person = new_person(listed.surname, "f" if listed.sex == "m" else "m", other, father=listed.father,
                                    dob=listed.dob if twin else (y + rng.randint(-3, 3), rng.randint(1, 12),
                                                                 rng.randint(1, 28)), ukrainian=listed.ukrainian)
            elif category == "sibling":
                sex = "m" if rng.random() < 0.6 else "f"
                pool = male if sex == "m" else female
                given = rng.choice([g for g in pool if g[0] != listed.given[0] and pair_of.get(g[0]) != listed.given])
                person = new_person(listed.surname, sex, given, father=listed.father,
                                    dob=(y + rng.choice([-1, 1]) * rng.randint(1, 8), rng.randint(1, 12),
                                         rng.randint(1, 28)), ukrainian=listed.ukrainian)
            elif category == "child":
                if listed.sex != "m":
                    continue  # patronymic from the listed person's given name: a father
                sex = "m" if rng.random() < 0.5 else "f"
                pool = male if sex == "m" else female
                given = rng.choice([g for g in pool if g[0] != listed.given[0]])
                person = new_person(listed.surname, sex, given, father=listed.given,
                                    dob=(y + rng.randint(24, 32), rng.randint(1, 12), rng.randint(1, 28)),
                                    ukrainian=listed.ukrainian)
            elif category == "parent":
                # The father: his given name is the listed person's patronymic source; or the mother.
                if rng.random() < 0.7:
                    person = new_person(listed.surname, "m", listed.father, dob=(y - rng.randint(24, 32),
                                        rng.randint(1, 12), rng.randint(1, 28)), ukrainian=listed.ukrainian)
                    if person.given[0] == listed.given[0]:
                        continue
                else:
                    person = new_person(listed.surname, "f", rng.choice(female), dob=(y - rng.randint(22, 32),
                                        rng.randint(1, 12), rng.randint(1, 28)), ukrainian=listed.ukrainian)
            elif category == "spouse":
                sex = "f" if listed.sex == "m" else "m"
                pool = female if sex == "f" else male
                given = rng.choice([g for g in pool if pair_of.get(g[0]) != listed.given])
                person = new_person(listed.surname, sex, given,
                                    dob=(y + rng.randint(-6, 6), rng.randint(1, 12), rng.randint(1, 28)),
                                    ukrainian=listed.ukrainian)
            else:
                raise ValueError(category)
            if person.dob[0] > 2008 or person.dob[0] < 1935:
                continue
            if rng.random() < 0.15:
                noise = [rng.choice(["s", "g"])]
            shown, dob_kind = shown_date(person.dob, rng, [0.7, 0.08, 0.12, 0.1])
            if category in ("namesake", "near_surname"):
                shown = person.dob if dob_kind == "none" else shown
                # Ruled out by date against the listed person (a near surname might be a typing error).
                if any(could_be_same(shown, entries[ei][3]) for ei in listed_entries):
                    continue
            if not ruled_out(person, shown):
                continue
            if category == "near_surname" and not ruled_out(
                    Person(listed.surname, person.sex, person.given, None, None, None, False), shown):
                continue
            related = listed_entries if category != "random" else []
        number += 1
        aid = f"P{number:06d}"
        system = pick_system(person)
        if category == "match":
            # Written otherwise than every name of the person on the watchlist.
            for _ in range(20):
                system = pick_system(person)
                order = rng.choice(["SGP", "GPS", "comma"])
                with_pat = rng.random() < 0.5
                case = rng.choices(["title", "upper", "surname_upper"], [0.7, 0.15, 0.15])[0]
                name, applied = write_name(person, system, order, with_pat, case, rng, noise)
                if all(name != n for ei in listed_entries for n in entries[ei][2]):
                    break
        else:
            order = rng.choice(["SGP", "GPS", "comma"])
            # Relatives show their patronymic more often: it is what tells a parent or child apart.
            with_pat = rng.random() < (0.7 if category in ("child", "parent", "sibling", "near_surname") else 0.5)
            case = rng.choices(["title", "upper", "surname_upper"], [0.7, 0.15, 0.15])[0]
            name, applied = write_name(person, system, order, with_pat, case, rng, noise)
        applicants.append((aid, name, fmt(shown), write_place(person, rng)))
        for ei in related if category == "match" else []:
            truth.append((aid, entries[ei][0]))
        kind = "match" if category == "match" else "random" if category == "random" else "hard_negative"
        meta.append((aid, kind, "" if kind != "hard_negative" else category, system,
                     "+".join(applied), dob_kind, dob_noise, ";".join(entries[ei][0] for ei in related)))
        category = None

    with open(os.path.join(args.out, "watchlist.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "aliases", "birth_date", "birth_place", "country"])
        for eid, _pi, names, dob, place in entries:
            w.writerow([eid, names[0], ";".join(names[1:]), fmt(dob), place, "ru"])
    with open(os.path.join(args.out, "watchlist.jsonl"), "w", encoding="utf-8") as f:
        for k, (eid, _pi, names, dob, place) in enumerate(entries):
            props = {"name": [names[0]]}
            if names[1:]:
                props["alias"] = names[1:]
            if dob:
                props["birthDate"] = [fmt(dob)]
            if place:
                props["birthPlace"] = [place]
            props["nationality" if k % 2 else "country"] = ["ru"]
            f.write(json.dumps({"id": eid, "schema": "Person", "properties": props}, ensure_ascii=False) + "\n")
            if k % 100 == 0:
                f.write(json.dumps({"id": f"S{k:07d}", "schema": "Sanction",
                                    "properties": {"entity": [eid], "program": ["EU 833/2014"]}}) + "\n")
    with open(os.path.join(args.out, "applicants.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "birth_date", "birth_place"])
        w.writerows(applicants)
    with open(os.path.join(args.out, "truth.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["applicant_id", "watchlist_id"])
        w.writerows(truth)
    with open(os.path.join(args.out, "applicants_meta.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["applicant_id", "category", "subtype", "system", "noise", "dob_shown", "dob_noise",
                    "related_watchlist_ids"])
        w.writerows(meta)


if __name__ == "__main__":
    main()
