//! Table-driven tests of normalisation and transliteration folding: for every system the contract names, real
//! spellings of real names must reduce to the same skeleton as their Cyrillic original.

#![allow(clippy::expect_used)] // test fixtures: a failed setup should stop the test loudly

use sito_screen::names::{ParsedName, given_names};
use sito_screen::translit::{fold_surname, skeleton};

fn key(word: &str) -> String {
    let token = &ParsedName::parse(word).tokens[0];
    token.skeleton.to_string()
}

fn check(system: &str, cases: &[(&str, &str)]) {
    for (cyrillic, latin) in cases {
        assert_eq!(key(cyrillic), key(latin), "{system}: {cyrillic} vs {latin}");
    }
}

#[test]
fn icao_9303() {
    check(
        "ICAO 9303",
        &[
            ("Щербаков", "SHCHERBAKOV"),
            ("Юлия", "IULIIA"),
            ("Дарья", "DARIA"),
            ("Воробьёв", "VOROBEV"),
            ("Фёдор", "FEDOR"),
            ("Журавлёв", "ZHURAVLEV"),
            ("Цветков", "TSVETKOV"),
            ("Хабибуллин", "KHABIBULLIN"),
            ("Евгения", "EVGENIIA"),
            ("Рябинин", "RIABININ"),
        ],
    );
}

#[test]
fn passport_1997_2010() {
    check(
        "1997-2010 passport",
        &[
            ("Цветков", "TCVETKOV"),
            ("Юрий", "YURIY"),
            ("Хабибуллин", "KHABIBULLIN"),
            ("Рябинин", "RYABININ"),
        ],
    );
}

#[test]
fn soviet_passport() {
    check(
        "Soviet passport",
        &[
            ("Журавлёв", "JOURAVLEV"),
            ("Чистяков", "TCHISTIAKOV"),
            ("Щербаков", "CHTCHERBAKOV"),
            ("Юрий", "IOURI"),
            ("Шубин", "CHOUBIN"),
        ],
    );
}

#[test]
fn bgn_pcgn_plain_and_with_marks() {
    check(
        "BGN/PCGN",
        &[
            ("Воробьёв", "Vorob'yëv"),
            ("Воробьёв", "Vorobyev"),
            ("Елисеев", "Yeliseyev"),
            ("Ильин", "Il'in"),
            ("Ильин", "Ilʹin"),
            ("Путсов", "Put·sov"),
            ("Горбачёв", "Gorbachëv"),
            ("Николаевич", "Nikolayevich"),
        ],
    );
}

#[test]
fn gost_7_79_b() {
    check(
        "GOST 7.79 B",
        &[
            ("Щербаков", "Shherbakov"),
            ("Цветков", "Czvetkov"),
            ("Хабибуллин", "Xabibullin"),
            ("Латыпов", "Laty'pov"),
            ("Эдельгериев", "E`del`geriev"),
            ("Юрий", "Yurij"),
            ("Михайлов", "Mixajlov"),
        ],
    );
}

#[test]
fn iso_9_with_diacritics() {
    check(
        "ISO 9",
        &[
            ("Щербаков", "Ŝerbakov"),
            ("Журавлёв", "Žuravlëv"),
            ("Хабибуллин", "Habibullin"),
            ("Юлия", "Ûliâ"),
            ("Чистяков", "Čistâkov"),
            ("Эдуард", "Èduard"),
        ],
    );
}

#[test]
fn german_duden() {
    check(
        "German",
        &[
            ("Журавлёв", "Schurawljow"),
            ("Щербаков", "Schtscherbakow"),
            ("Чистяков", "Tschistjakow"),
            ("Михайлов", "Michailow"),
            ("Евгений", "Jewgeni"),
            ("Цветков", "Zwetkow"),
            ("Козлов", "Koslow"),
            ("Власов", "Wlassow"),
        ],
    );
}

#[test]
fn french() {
    check(
        "French",
        &[
            ("Журавлёв", "Jouravlev"),
            ("Чистяков", "Tchistiakov"),
            ("Щербаков", "Chtcherbakov"),
            ("Юрий", "Iouri"),
            ("Зайцев", "Zaïtsev"),
            ("Андреевич", "Andreïevitch"),
            ("Жданов", "Jdanov"),
        ],
    );
}

#[test]
fn informal_english() {
    check(
        "informal English",
        &[
            ("Дмитрий", "Dmitry"),
            ("Воробьёв", "Vorobyov"),
            ("Юрий", "Yury"),
            ("Мухаметшин", "Mukhametshin"),
            ("Алексеев", "Alexeev"),
            ("Максим", "Maxim"),
        ],
    );
}

#[test]
fn ukrainian_national_2010() {
    check(
        "Ukrainian 2010",
        &[
            ("Сергій", "Serhii"),
            ("Олексій", "Oleksii"),
            ("Юрій", "Yurii"),
            ("Євген", "Yevhen"),
            ("Григорій", "Hryhorii"),
            ("Ганна", "Hanna"),
            ("Згурський", "Zghurskyi"),
            ("Миколайович", "Mykolaiovych"),
        ],
    );
}

#[test]
fn older_ukrainian_habit() {
    check(
        "older Ukrainian",
        &[
            ("Сергій", "Serhiy"),
            ("Олексій", "Oleksiy"),
            ("Андрій", "Andriy"),
            ("Юрій", "Yuriy"),
        ],
    );
}

#[test]
fn normalisation_case_yo_apostrophes_lookalikes() {
    let cases = [
        ("СЕМЁНОВ", "семенов"),
        ("Семёнов", "Семенов"),
        ("Vasil'ev", "VASILEV"),
        ("Vasilʹev", "Vasilev"),
        // Latin "C" and "o" typed inside a Cyrillic word.
        ("Cидoров", "Сидоров"),
        ("Ａлексей", "Алексей"),
    ];
    for (a, b) in cases {
        assert_eq!(key(a), key(b), "{a} vs {b}");
    }
}

#[test]
fn surname_gender_and_russian_ukrainian_endings_fold() {
    let cases = [
        ("Иванова", "Иванов"),
        ("Kovaleva", "Ковальов"),
        ("Zhuravlyova", "Журавлёв"),
        ("Достоевская", "Dostoevskii"),
        ("Залеська", "Zalesskiy"),
        ("Ilyina", "Ильин"),
        ("Ковальов", "Kovalov"),
        ("Ковалёв", "Kovalyov"),
    ];
    for (a, b) in cases {
        assert_eq!(
            fold_surname(&skeleton(&a.to_lowercase())),
            fold_surname(&skeleton(&b.to_lowercase())),
            "{a} vs {b}"
        );
    }
}

#[test]
fn unmarked_german_ch_is_half_an_edit_from_kh() {
    // Without a German mark (w, tsch) "ch" reads as ч; the scorer counts ч for х as half an edit.
    let distance = sito_screen::score::weighted_distance(
        key("Chabibullin").as_bytes(),
        key("Хабибуллин").as_bytes(),
    );
    assert!((distance - 0.5).abs() < 1e-6, "{distance}");
}

#[test]
fn distinct_names_stay_distinct() {
    let cases = [
        ("Миняев", "Минаев"),
        ("Иванов", "Ивашов"),
        ("Жуков", "Щукин"),
        ("Орлов", "Осипов"),
    ];
    for (a, b) in cases {
        assert_ne!(key(a), key(b), "{a} vs {b}");
    }
}

#[test]
fn given_name_equivalence_classes() {
    let table = given_names();
    let same = [
        ("Сергей", "Serhii"),
        ("Алексей", "Oleksii"),
        ("Алексей", "Alexey"),
        ("Николай", "Mykola"),
        ("Пётр", "Petro"),
        ("Евгений", "Yevhen"),
        ("Евгений", "Eugene"),
        ("Александр", "Alexander"),
        ("Григорий", "Hryhorii"),
        ("Фёдор", "Fedir"),
        ("Илья", "Illia"),
        ("Елена", "Olena"),
        ("Анна", "Hanna"),
        ("Дарья", "Daryna"),
        ("Афанасий", "Panas"),
        ("Ефим", "Yukhym"),
        ("Филипп", "Pylyp"),
        ("Филипп", "Philip"),
        ("Наталья", "Natalie"),
        ("Владимир", "Volodymyr"),
        ("Герман", "Herman"),
    ];
    for (a, b) in same {
        let (ca, cb) = (table.classes_of(&key(a)), table.classes_of(&key(b)));
        assert!(!ca.is_empty(), "{a} not in the table");
        assert!(
            ca.iter().any(|c| cb.contains(c)),
            "{a} and {b} should share a class: {ca:?} {cb:?}"
        );
    }
    let different = [
        ("Евгений", "Евгения"),
        ("Александр", "Александра"),
        ("Виктор", "Виктория"),
        ("Юлиан", "Юлиана"),
    ];
    for (a, b) in different {
        let (ca, cb) = (table.classes_of(&key(a)), table.classes_of(&key(b)));
        assert!(!ca.is_empty() && !cb.is_empty(), "{a} / {b} missing");
        assert!(
            !ca.iter().any(|c| cb.contains(c)),
            "{a} and {b} must differ"
        );
    }
}
