#!/usr/bin/env python3
"""Labelled screening data of the contract's kind, from our own name pools (not the public sample's).

usage: gen.py OUT_DIR --watchlist N --applicants M [--seed S]
Writes watchlist.csv, watchlist.jsonl (FollowTheMoney, with some non-Person entities), applicants.csv,
truth.csv and applicants_meta.csv. Every pair not in truth.csv is a true non-match: a random or hard-negative
applicant is drawn again while any watchlist entry with the same surname and given name has a date of birth
that cannot rule them out.
"""
import argparse
import csv
import json
import os
import random

# ---- name pools (our own; Russian masculine surname forms) ----
SURNAMES = """Абрамов Агафонов Аксёнов Александров Алексеев Андреев Анисимов Антонов Артемьев Архипов Афанасьев Бабушкин
Баженов Барсуков Безруков Беляев Бирюков Блинов Бобров Богомолов Бондаренко Борисов Бочаров Брагин Булгаков Бурков
Быков Валуев Ванин Васильев Вдовин Веселов Виноградов Вишняков Воеводин Волков Воробьёв Воронцов Гаврилов Галкин
Герасимов Глушков Голованов Голубев Гончаренко Горбунов Гордиенко Горшков Гребнев Григорьев Гришин Громов Гусев
Давыдов Данилов Дегтярёв Дементьев Денисов Дмитриев Добрынин Долгов Дорофеев Дроздов Дьячков Евдокимов Егоров
Ежов Елисеев Ермаков Ерофеев Ершов Ефимов Жарков Жуков Журавлёв Забелин Зайцев Зимин Зиновьев Золотарёв Зуев
Иванов Игнатьев Измайлов Ильин Исаев Казанцев Калинин Карпов Касаткин Кириллов Климов Ковалёв Коваленко Кожевников
Козлов Колесников Комаров Кондратьев Корнилов Коротков Кравец Крылов Кудрявцев Кузнецов Кузьмин Лаврентьев Лазарев
Лебедев Леонов Лихачёв Логинов Лукин Лысенко Львов Мальцев Маслов Матвеев Медведев Мельников Миронов Михайлов
Моисеев Морозов Мухин Назаров Некрасов Никитин Никифоров Новиков Носков Овчинников Олейник Осипов Павлов Панов
Пестов Петров Пименов Платонов Поляков Попов Потапов Прохоров Пугачёв Радченко Родионов Рожков Романенко Рыбаков
Савельев Самойлов Сафонов Севастьянов Селезнёв Семёнов Симонов Скворцов Смирнов Соболев Соколов Соловьёв Степанов
Субботин Суворов Тарасов Тимофеев Титаренко Тихонов Ткаченко Третьяков Трофимов Тюрин Уваров Усов Фадеев Федосеев
Филатов Фомин Фролов Харитонов Хомяков Цветков Чернов Чистяков Шаповалов Шевцов Шестаков Широков Шубин Щербаков
Юдин Якушев Яковлев Ярцев Гайнуллин Хабибуллин Шарипов Галиев Нуриев Дашиев Цыденов Бадмаев Иванченко Слепченко
Мусаев Кадыров Дудаев Бакаев Сидоренко Кравчук Полищук Марченко Юсупов Хасанов Каримов Сабиров Ахметов Батуев
Жамсуев Аммосов Слепцов Колодезников Винокуров Захаров Оконешников Ядрихинский Чернышевский Островский Вишневский""".split()
MALE = [  # (Russian, Ukrainian)
    ("Александр", "Олександр"), ("Алексей", "Олексій"), ("Андрей", "Андрій"), ("Антон", "Антон"), ("Борис", "Борис"),
    ("Вадим", "Вадим"), ("Валерий", "Валерій"), ("Василий", "Василь"), ("Виктор", "Віктор"), ("Виталий", "Віталій"),
    ("Владимир", "Володимир"), ("Вячеслав", "В'ячеслав"), ("Георгий", "Георгій"), ("Григорий", "Григорій"),
    ("Денис", "Денис"), ("Дмитрий", "Дмитро"), ("Евгений", "Євген"), ("Егор", "Єгор"), ("Иван", "Іван"),
    ("Игорь", "Ігор"), ("Илья", "Ілля"), ("Кирилл", "Кирило"), ("Константин", "Костянтин"), ("Леонид", "Леонід"),
    ("Максим", "Максим"), ("Матвей", "Матвій"), ("Михаил", "Михайло"), ("Николай", "Микола"), ("Олег", "Олег"),
    ("Павел", "Павло"), ("Пётр", "Петро"), ("Роман", "Роман"), ("Сергей", "Сергій"), ("Степан", "Степан"),
    ("Тимофей", "Тимофій"), ("Фёдор", "Федір"), ("Юрий", "Юрій"), ("Яков", "Яків"), ("Ярослав", "Ярослав"),
    ("Григорий", "Григорій"), ("Семён", "Семен"), ("Анатолий", "Анатолій"), ("Геннадий", "Геннадій"),
    ("Аркадий", "Аркадій"), ("Глеб", "Гліб"), ("Даниил", "Данило"), ("Захар", "Захар"), ("Лев", "Лев"),
    ("Марк", "Марк"), ("Руслан", "Руслан"), ("Станислав", "Станіслав"), ("Тарас", "Тарас"), ("Эдуард", "Едуард"),
    ("Ильдар", "Ільдар"), ("Ринат", "Ринат"), ("Айдар", "Айдар"), ("Баир", "Баїр"), ("Аюр", "Аюр"),
    ("Магомед", "Магомед"), ("Ислам", "Іслам"), ("Айсен", "Айсен"), ("Тимур", "Тимур"), ("Арсен", "Арсен"),
]
FEMALE = [
    ("Анна", "Ганна"), ("Анастасия", "Анастасія"), ("Валентина", "Валентина"), ("Вера", "Віра"),
    ("Виктория", "Вікторія"), ("Галина", "Галина"), ("Дарья", "Дарина"), ("Евгения", "Євгенія"),
    ("Екатерина", "Катерина"), ("Елена", "Олена"), ("Ирина", "Ірина"), ("Ксения", "Ксенія"),
    ("Любовь", "Любов"), ("Людмила", "Людмила"), ("Марина", "Марина"), ("Мария", "Марія"), ("Надежда", "Надія"),
    ("Наталья", "Наталія"), ("Ольга", "Ольга"), ("Полина", "Поліна"), ("Светлана", "Світлана"),
    ("Софья", "Софія"), ("Татьяна", "Тетяна"), ("Юлия", "Юлія"), ("Александра", "Олександра"),
    ("Гульнара", "Гульнара"), ("Зарема", "Зарема"), ("Туяна", "Туяна"), ("Алсу", "Алсу"),
]
INFORMAL = {"Александр": "Alexander", "Алексей": "Alexey", "Евгений": "Eugene", "Дмитрий": "Dmitry",
            "Юрий": "Yury", "Максим": "Maxim", "Елена": "Helen", "Наталья": "Natalie", "Мария": "Maria",
            "Пётр": "Peter", "Михаил": "Mikhail", "Фёдор": "Fedor", "Екатерина": "Ekaterina"}
CITIES = ["Москва", "Санкт-Петербург", "Новосибирск", "Казань", "Самара", "Уфа", "Пермь", "Воронеж", "Омск",
          "Краснодар", "Тверь", "Грозный", "Улан-Удэ", "Якутск", "Ростов-на-Дону", "Иркутск"]

# ---- transliteration systems from Cyrillic ----
def _table(spec):
    return dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", spec))

SYSTEMS = {
    "icao": _table("a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y  e iu ia".split(" ")),
    "mvd1997": _table("a b v g d e e zh z i y k l m n o p r s t u f kh tc ch sh shch  y  e iu ia".split(" ")),
    "soviet": _table("a b v g d e e j z i i k l m n o p r s t ou f kh ts tch ch chtch  y  e iou ia".split(" ")),
    "bgn": _table("a b v g d e ë zh z i y k l m n o p r s t u f kh ts ch sh shch \" y ' e yu ya".split(" ")),
    "gost_b": _table("a b v g d e yo zh z i j k l m n o p r s t u f x cz ch sh shh `` y' ` e` yu ya".split(" ")),
    "iso9": _table("a b v g d e ë ž z i j k l m n o p r s t u f h c č š ŝ ʺ y ʹ è û â".split(" ")),
    "de": _table("a b w g d e jo sch s i j k l m n o p r ss t u f ch z tsch sch schtsch  y  e ju ja".split(" ")),
    "fr": _table("a b v g d e io j z i ï k l m n o p r s t ou f kh ts tch ch chtch  y  e iou ia".split(" ")),
    "informal": _table("a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya".split(" ")),
}
UA2010 = dict(zip("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'", "a b v h g d e ie zh z y i i i k l m n o p r s t u f kh ts ch sh shch  iu ia ".split(" ")))
UA2010_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def translit(word, system):
    low = word.lower()
    out = []
    if system in ("ua2010", "ua_informal"):
        for i, c in enumerate(low):
            if i == 0 and c in UA2010_INITIAL:
                out.append(UA2010_INITIAL[c])
            elif system == "ua_informal" and c in "йї" and i > 0:
                out.append("y" if c == "й" else "yi")
            else:
                out.append(UA2010.get(c, c if c.isascii() else ""))
        s = "".join(out)
        if system == "ua2010":
            s = s.replace("zgh", "zgh")
        return s[:1].upper() + s[1:]
    table = SYSTEMS[system]
    vowels = "аеёиоуыэюяь"
    for i, c in enumerate(low):
        prev = low[i - 1] if i else ""
        t = table.get(c, c if c.isascii() else "")
        if system == "bgn" and c == "е" and (i == 0 or prev in vowels or prev in "ъ"):
            t = "ye"
        if system == "informal" and c == "е" and i == 0:
            t = random.choice(["e", "ye"])
        if system == "de" and c == "е" and (i == 0 or prev in vowels):
            t = "je"
        if system == "de" and c == "с" and (i == 0 or i == len(low) - 1 or prev not in vowels):
            t = "s"
        if system == "de" and c == "з":
            t = "s"
        if c == "й" and prev in "иы" and i == len(low) - 1 and system in ("icao", "mvd1997", "informal"):
            t = {"icao": "i", "mvd1997": "y", "informal": random.choice(["y", "i"])}[system]
        if system == "fr" and c == "й" and prev and prev not in "и":
            t = "ï"
        out.append(t)
    s = "".join(out).replace("''", "")
    return s[:1].upper() + s[1:]


# ---- name forms ----
def feminine(surname):
    for ending, fem in (("ский", "ская"), ("цкий", "цкая"), ("ов", "ова"), ("ёв", "ёва"), ("ев", "ева"), ("ин", "ина")):
        if surname.endswith(ending):
            return surname[: -len(ending)] + fem
    return surname


def ukrainian_surname(surname):
    return surname.replace("ё", "ьо").replace("ы", "и").replace("э", "е") if random.random() < 0.6 else surname.replace("ё", "е")


def patronymic(father, sex, ukrainian):
    if ukrainian:
        stem = father
        if stem.endswith("а"):
            stem = stem[:-1] + "ай" if stem.endswith("ла") else stem[:-1]
        elif stem.endswith("о"):
            stem = stem[:-1]
        if stem.endswith("ій"):
            stem = stem
        return stem + ("ович" if sex == "m" else "івна")
    if father.endswith("ий"):
        stem = father[:-2] + ("ь" if father[-3] in "рл" else "")
        return stem + ("евич" if sex == "m" else "евна")
    if father.endswith("ей") or father.endswith("ай"):
        return father[:-1] + ("евич" if sex == "m" else "евна")
    if father.endswith("а") or father.endswith("я"):
        stem = father[:-1].replace("ь", "ь")
        return stem + ("ич" if sex == "m" else "ична")
    if father.endswith("ь"):
        return father[:-1] + ("евич" if sex == "m" else "евна")
    return father + ("ович" if sex == "m" else "овна")


class Person:
    def __init__(self, sex, surname, given, father, dob, place):
        self.sex, self.surname, self.given, self.father, self.dob, self.place = sex, surname, given, father, dob, place

    def cyr(self, ukrainian):
        given = self.given[1] if ukrainian else self.given[0]
        sur = feminine(self.surname) if self.sex == "f" else self.surname
        if ukrainian:
            sur = ukrainian_surname(sur)
        pat = patronymic(self.father[1] if ukrainian else self.father[0], self.sex, ukrainian)
        return sur, given, pat


KEYS = "йцукенгшщзхфывапролджэячсмитьбю"
QWERTY = "qwertyuiopasdfghjklzxcvbnm"


def typo(word):
    if len(word) < 4:
        return word
    i = random.randrange(1, len(word) - 1)
    kind = random.choice(["adjacent", "swap", "drop", "double"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    keys = KEYS if word[i].lower() in KEYS else QWERTY
    c = word[i].lower()
    if c in keys:
        j = keys.index(c)
        c = keys[max(0, min(len(keys) - 1, j + random.choice([-1, 1])))]
    return word[:i] + c + word[i + 1:]


SCRIPTS = ["cyr_ru"] * 8 + ["cyr_uk"] * 2 + ["icao"] * 3 + ["mvd1997", "soviet", "bgn", "gost_b", "iso9", "de", "fr",
           "informal", "informal", "ua2010", "ua_informal"]


def write_name(person, system, order, with_patronymic, case, noise):
    ukrainian = system in ("cyr_uk", "ua2010", "ua_informal")
    sur, given, pat = person.cyr(ukrainian)
    if system not in ("cyr_ru", "cyr_uk"):
        if system == "informal" and given in INFORMAL and random.random() < 0.5:
            g = INFORMAL[given]
        else:
            g = translit(given, system)
        sur, given, pat = translit(sur, system), g, translit(pat, system)
    if noise == "typo_surname":
        sur = typo(sur)
    elif noise == "typo_given":
        given = typo(given)
    elif noise == "yo":
        sur, given = sur.replace("ё", "е"), given.replace("ё", "е")
    parts = [given, pat, sur] if order == "GPS" else [sur, given, pat]
    if not with_patronymic:
        parts = [p for p in parts if p != pat]
    if case == "upper":
        parts = [p.upper() for p in parts]
    elif case == "surname_upper":
        parts = [p.upper() if p == sur else p for p in parts]
    if order == "comma":
        rest = [given] + ([pat] if with_patronymic else [])
        return f"{sur.upper() if case != 'title' else sur}, {' '.join(rest)}"
    return " ".join(parts)


def random_dob():
    return (random.randint(1950, 2005), random.randint(1, 12), random.randint(1, 28))


def fmt(d, shown):
    y, m, dd = d
    return {"full": f"{y:04d}-{m:02d}-{dd:02d}", "ym": f"{y:04d}-{m:02d}", "y": f"{y:04d}", "none": ""}[shown]


def compatible(a_dob_text, w_dob_text):
    if not a_dob_text or not w_dob_text:
        return True
    a, w = a_dob_text.split("-"), w_dob_text.split("-")
    n = min(len(a), len(w))
    if a[:n] == w[:n]:
        return True
    if a[0] != w[0]:
        return False
    if len(a) == 3 and len(w) == 3:
        if a[1] == w[1] and (abs(int(a[2]) - int(w[2])) == 1 or sum(x != y for x, y in zip(a[2], w[2])) == 1):
            return True
        if a[1] == w[2] and a[2] == w[1]:
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--watchlist", type=int, default=20000)
    ap.add_argument("--applicants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    def new_person(sex=None, surname=None, given=None):
        sex = sex or ("m" if random.random() < 0.8 else "f")
        return Person(sex, surname or random.choice(SURNAMES), given or random.choice(MALE if sex == "m" else FEMALE),
                      random.choice(MALE), random_dob(), random.choice(CITIES))

    persons, entries = [], []  # entries: (id, person_index, names, dob_text)
    while len(entries) < args.watchlist:
        p = new_person()
        persons.append(p)
        copies = 2 if random.random() < 0.02 else 1
        for _ in range(copies):
            if len(entries) >= args.watchlist:
                break
            k = random.choice([1, 1, 1, 2, 2, 3])
            names = []
            for _ in range(k):
                system = random.choice(SCRIPTS)
                names.append(write_name(p, system, random.choice(["SGP", "GPS", "comma"]), random.random() < 0.5,
                                        random.choice(["title", "upper", "surname_upper"]), ""))
            shown = random.choices(["full", "ym", "y", "none"], [70, 8, 12, 10])[0]
            entries.append((f"W{len(entries) + 1:07d}", len(persons) - 1, names, fmt(p.dob, shown)))

    by_name = {}
    for e in entries:
        p = persons[e[1]]
        by_name.setdefault((p.surname, p.given[0], p.sex), []).append(e)

    def safe(person, dob_text, allowed_person):
        for e in by_name.get((person.surname, person.given[0], person.sex), []):
            if e[1] != allowed_person and persons[e[1]] is not person and compatible(dob_text, e[3]):
                return False
        return True

    applicants, truth, meta = [], [], []
    for i in range(args.applicants):
        aid = f"A{i + 1:06d}"
        r = random.random()
        system = random.choice(SCRIPTS)
        noise = random.choices(["", "typo_surname", "typo_given", "yo"], [85, 6, 5, 4])[0]
        order = random.choice(["SGP", "GPS"])
        with_pat = random.random() < 0.5
        case = random.choice(["title", "title", "upper", "surname_upper"])
        if r < 0.10:
            for _attempt in range(50):
                e = random.choice(entries)
                p = persons[e[1]]
                dob_shown = random.choices(["full", "ym", "y", "none"], [80, 5, 10, 5])[0]
                dob = fmt(p.dob, dob_shown)
                if dob_shown == "full" and random.random() < 0.04:
                    y, m, d = p.dob
                    dob = fmt((y, m, d + 1 if d < 28 else d - 1), "full")
                # Another person of the same name whose date cannot rule this one out would make the truth
                # ambiguous: draw again, as for the non-matches.
                if safe(p, dob, e[1]):
                    break
            else:
                continue
            name = write_name(p, system, order, with_pat, case, noise)
            applicants.append((aid, name, dob, p.place))
            for other in (x for x in by_name.get((p.surname, p.given[0], p.sex), []) if x[1] == e[1]):
                truth.append((aid, other[0]))
            meta.append((aid, "match", "", system, noise))
            continue
        for _attempt in range(50):
            if r < 0.30:
                e = random.choice(entries)
                base = persons[e[1]]
                kind = random.choice(["namesake", "namesake", "other_sex", "sibling", "child", "spouse"])
                if kind == "namesake":
                    p = Person(base.sex, base.surname, base.given, random.choice(MALE), random_dob(), random.choice(CITIES))
                elif kind == "other_sex":
                    pairs = {m[0]: f for m, f in [(("Александр",), ("Александра", "Олександра")),
                                                 (("Евгений",), ("Евгения", "Євгенія")),
                                                 (("Виктор",), ("Виктория", "Вікторія"))]}
                    if base.sex == "m" and base.given[0] in pairs:
                        p = Person("f", base.surname, pairs[base.given[0]], base.father, base.dob, base.place)
                    else:
                        p = Person("f" if base.sex == "m" else "m", base.surname,
                                   random.choice(FEMALE if base.sex == "m" else MALE), base.father, base.dob, base.place)
                elif kind == "sibling":
                    p = Person(random.choice("mf"), base.surname, None, base.father, random_dob(), base.place)
                    p.given = random.choice(MALE if p.sex == "m" else FEMALE)
                elif kind == "child":
                    p = Person("m", base.surname, random.choice(MALE), base.given if base.sex == "m" else random.choice(MALE),
                               random_dob(), base.place)
                else:
                    p = Person("f" if base.sex == "m" else "m", base.surname, None, random.choice(MALE), random_dob(), base.place)
                    p.given = random.choice(FEMALE if p.sex == "f" else MALE)
                category = ("hard_negative", kind)
            else:
                p = new_person()
                category = ("random", "")
            dob = fmt(p.dob, random.choices(["full", "y", "none"], [90, 5, 5])[0])
            if category[1] == "other_sex":
                dob = fmt(p.dob, "full")
            if safe(p, dob, -1) and (category[1] != "other_sex" or p.given[0] != ""):
                break
        else:
            continue
        name = write_name(p, system, order, with_pat, case, noise)
        applicants.append((aid, name, dob, p.place))
        meta.append((aid, category[0], category[1], system, noise))

    with open(os.path.join(args.out, "watchlist.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "aliases", "birth_date", "birth_place", "country"])
        for eid, pi, names, dob in entries:
            w.writerow([eid, names[0], ";".join(names[1:]), dob, persons[pi].place, "ru"])
    with open(os.path.join(args.out, "watchlist.jsonl"), "w", encoding="utf-8") as f:
        for eid, pi, names, dob in entries:
            props = {"name": names[:1], "alias": names[1:], "birthPlace": [persons[pi].place], "country": ["ru"]}
            if dob:
                props["birthDate"] = [dob]
            f.write(json.dumps({"id": eid, "schema": "Person", "properties": props}, ensure_ascii=False) + "\n")
            if random.random() < 0.01:
                f.write(json.dumps({"id": eid + "-s", "schema": "Sanction", "properties": {"entity": [eid]}}) + "\n")
    with open(os.path.join(args.out, "applicants.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "birth_date", "birth_place"])
        w.writerows(applicants)
    with open(os.path.join(args.out, "truth.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["applicant_id", "watchlist_id"])
        w.writerows(sorted(set(truth)))
    with open(os.path.join(args.out, "applicants_meta.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["applicant_id", "category", "subtype", "system", "noise"])
        w.writerows(meta)
    print(f"{len(entries)} watchlist entries, {len(applicants)} applicants, {len(set(truth))} true pairs -> {args.out}")


if __name__ == "__main__":
    main()
