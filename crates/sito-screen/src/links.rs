//! Link analysis between applications over already-computed key values.
//!
//! The office feeds HMAC blind indexes of phones, e-mails, messenger handles, document numbers, addresses and
//! referrers; this module never sees the clear values unless a caller uses the normalisation helpers first (they
//! exist so that every caller normalises the same way before blinding). Applications sharing a key are linked;
//! a key held by many applications (a hotel's phone, a recruiter's handle) is reported as a signal and does not
//! merge its holders; groups whose members share two or more independent keys (of different kinds) are flagged
//! as possible coordinated infiltration. A flag is a lead for a security officer, never a decision.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rustc_hash::FxHashMap;

/// What a key value stands for. Keys of different kinds are independent evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    Phone,
    Email,
    Handle,
    Document,
    Address,
    Referrer,
}

impl KeyKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Handle => "handle",
            Self::Document => "document",
            Self::Address => "address",
            Self::Referrer => "referrer",
        }
    }
}

/// One application's keys (blind indexes or normalised values; compared as opaque strings).
#[derive(Clone, Debug, Default)]
pub struct ApplicationKeys {
    pub keys: Vec<(KeyKind, String)>,
}

/// Tuning of the analysis.
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    /// A key held by more applications than this is a signal, not a link.
    pub common_key_limit: usize,
    /// Distinct key kinds two applications must share for their group to be flagged.
    pub independent_keys_to_flag: usize,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            common_key_limit: 5,
            independent_keys_to_flag: 2,
        }
    }
}

/// A key too common to link by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommonKey {
    pub kind: KeyKind,
    pub value: String,
    pub holders: usize,
}

/// One link inside a group: two applications and the kinds of key they share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub a: usize,
    pub b: usize,
    pub kinds: Vec<KeyKind>,
}

/// Applications connected by shared keys (a connected component of two or more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Indexes into the input slice, ascending.
    pub members: Vec<usize>,
    pub links: Vec<Link>,
    /// Some pair of members shares at least `independent_keys_to_flag` kinds of key.
    pub flagged: bool,
}

/// The outcome of an analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkReport {
    /// Largest first, then by first member.
    pub groups: Vec<Group>,
    /// Most held first.
    pub common_keys: Vec<CommonKey>,
}

fn find(parent: &mut [u32], mut item: u32) -> u32 {
    while parent[item as usize] != item {
        let grand = parent[parent[item as usize] as usize];
        parent[item as usize] = grand;
        item = grand;
    }
    item
}

/// Links applications by shared keys.
pub fn analyse(applications: &[ApplicationKeys], config: LinkConfig) -> LinkReport {
    let mut holders: FxHashMap<(KeyKind, &str), Vec<u32>> = FxHashMap::default();
    for (index, application) in applications.iter().enumerate() {
        for (kind, value) in &application.keys {
            if value.is_empty() {
                continue;
            }
            let list = holders.entry((*kind, value.as_str())).or_default();
            if list.last() != Some(&(index as u32)) {
                list.push(index as u32);
            }
        }
    }
    let mut common_keys = Vec::new();
    // Pair → kinds shared; only pairs within keys held by 2..=limit applications.
    let mut pair_kinds: FxHashMap<(u32, u32), Vec<KeyKind>> = FxHashMap::default();
    for ((kind, value), list) in &holders {
        if list.len() < 2 {
            continue;
        }
        if list.len() > config.common_key_limit {
            common_keys.push(CommonKey {
                kind: *kind,
                value: (*value).to_owned(),
                holders: list.len(),
            });
            continue;
        }
        for (position, a) in list.iter().enumerate() {
            for b in &list[position + 1..] {
                let kinds = pair_kinds.entry((*a.min(b), *a.max(b))).or_default();
                if !kinds.contains(kind) {
                    kinds.push(*kind);
                }
            }
        }
    }
    let mut parent: Vec<u32> = (0..applications.len() as u32).collect();
    for (a, b) in pair_kinds.keys() {
        let (root_a, root_b) = (find(&mut parent, *a), find(&mut parent, *b));
        if root_a != root_b {
            parent[root_a.max(root_b) as usize] = root_a.min(root_b);
        }
    }
    let mut by_root: BTreeMap<u32, Group> = BTreeMap::new();
    let mut pairs: Vec<((u32, u32), Vec<KeyKind>)> = pair_kinds.into_iter().collect();
    pairs.sort_unstable();
    for ((a, b), mut kinds) in pairs {
        kinds.sort_unstable();
        let root = find(&mut parent, a);
        let group = by_root.entry(root).or_insert_with(|| Group {
            members: Vec::new(),
            links: Vec::new(),
            flagged: false,
        });
        if kinds.len() >= config.independent_keys_to_flag {
            group.flagged = true;
        }
        group.links.push(Link {
            a: a as usize,
            b: b as usize,
            kinds,
        });
    }
    let mut groups: Vec<Group> = by_root
        .into_values()
        .map(|mut group| {
            let mut members: Vec<usize> = group.links.iter().flat_map(|l| [l.a, l.b]).collect();
            members.sort_unstable();
            members.dedup();
            group.members = members;
            group
        })
        .collect();
    groups.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then_with(|| x.members.cmp(&y.members))
    });
    common_keys.sort_by(|x, y| {
        y.holders
            .cmp(&x.holders)
            .then_with(|| (x.kind, &x.value).cmp(&(y.kind, &y.value)))
    });
    LinkReport {
        groups,
        common_keys,
    }
}

/// A phone number in E.164 (`+79161234567`), read with the given default region (ISO 3166 code such as "RU"
/// or "UA") when the number has no country code. `None` when it is not a valid number.
pub fn normalize_phone(raw: &str, default_region: &str) -> Option<String> {
    let region = default_region.parse::<phonenumber::country::Id>().ok();
    let cleaned: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let number = phonenumber::parse(region, &cleaned).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// An e-mail address compared as one mailbox: trimmed, lower-case, `+tag` dropped, and for Gmail the dots of the
/// local part too (they reach the same mailbox).
pub fn normalize_email(raw: &str) -> Option<String> {
    let lowered = raw.trim().to_lowercase();
    let (local, domain) = lowered.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || !domain.contains('.') {
        return None;
    }
    let local = local.split('+').next().unwrap_or(local);
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    let local = if domain == "gmail.com" {
        local.replace('.', "")
    } else {
        local.to_owned()
    };
    Some(format!("{local}@{domain}"))
}

/// A messenger handle (`@Ivan_Petrov`, `t.me/ivan_petrov`, `https://t.me/Ivan_Petrov`) as `ivan_petrov`.
pub fn normalize_handle(raw: &str) -> Option<String> {
    let trimmed = raw.trim().to_lowercase();
    let without_link = ["https://", "http://"]
        .iter()
        .fold(trimmed.as_str(), |s, p| s.strip_prefix(p).unwrap_or(s));
    let without_host = ["t.me/", "telegram.me/", "signal.me/"]
        .iter()
        .fold(without_link, |s, p| s.strip_prefix(p).unwrap_or(s));
    let handle = without_host.trim_start_matches('@').trim_end_matches('/');
    (!handle.is_empty()
        && handle
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.'))
    .then(|| handle.to_owned())
}

/// A document number as its letters and digits in upper case, with Cyrillic look-alikes read as Latin
/// (`АВ 123-456` = `AB123456`).
pub fn normalize_document(raw: &str) -> Option<String> {
    const LOOKALIKES: &[(char, char)] = &[
        ('А', 'A'),
        ('В', 'B'),
        ('Е', 'E'),
        ('К', 'K'),
        ('М', 'M'),
        ('Н', 'H'),
        ('О', 'O'),
        ('Р', 'P'),
        ('С', 'C'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('У', 'Y'),
        ('І', 'I'),
    ];
    let out: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .map(|c| {
            LOOKALIKES
                .iter()
                .find(|(cy, _)| *cy == c)
                .map_or(c, |(_, latin)| *latin)
        })
        .collect();
    (out.len() >= 4).then_some(out)
}

/// A postal address as lower-case words of letters and digits (NFKC, `ё` read as `е`, punctuation dropped), so
/// `ул. Ленина, д. 5, кв. 12` = `ул Ленина д 5 кв 12`. `None` for text without a digit: a city or a country alone
/// is too coarse to link applications by.
pub fn normalize_address(raw: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let words: String = raw
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ё' => 'е',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    let normalised = words.split_whitespace().collect::<Vec<_>>().join(" ");
    normalised
        .chars()
        .any(|c| c.is_ascii_digit())
        .then_some(normalised)
}

/// Who referred an applicant: a messenger handle or channel link (read as [`normalize_handle`]), a phone number
/// (E.164, read with `default_region`), or a name (lower-case words in sorted order, so `Петров Иван` = `иван
/// петров`).
pub fn normalize_referrer(raw: &str, default_region: &str) -> Option<String> {
    let trimmed = raw.trim();
    let lowered = trimmed.to_lowercase();
    if trimmed.starts_with('@') || lowered.contains("t.me/") || lowered.contains("signal.me/") {
        return normalize_handle(trimmed);
    }
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    if digits >= 7
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-()".contains(c))
    {
        return normalize_phone(trimmed, default_region);
    }
    let mut words: Vec<String> = lowered
        .replace('ё', "е")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort_unstable();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Draws one group as an SVG: members on a circle, links as lines (thicker for more shared kinds), labels
/// under each node. Labels are escaped; the caller chooses them (codenames, never real names).
pub fn render_group_svg(group: &Group, label: &dyn Fn(usize) -> String) -> String {
    render_group_svg_linked(group, label, &|_| None, &|kind| kind.label().to_owned())
}

/// As [`render_group_svg`], with each node a link to `href(member)` (when given) and each line labelled at its
/// middle with the kinds of key its two members share, named by `kind_label` (e.g. translated). Nothing but the
/// labels the caller returns is written, so an identifier can only appear if the caller puts it there.
pub fn render_group_svg_linked(
    group: &Group,
    label: &dyn Fn(usize) -> String,
    href: &dyn Fn(usize) -> Option<String>,
    kind_label: &dyn Fn(KeyKind) -> String,
) -> String {
    let size = 360.0_f64;
    let radius = 130.0_f64;
    let centre = size / 2.0;
    let count = group.members.len().max(1) as f64;
    let position = |member: usize| -> (f64, f64) {
        let slot = group.members.iter().position(|m| *m == member).unwrap_or(0) as f64;
        let angle = std::f64::consts::TAU * slot / count - std::f64::consts::FRAC_PI_2;
        (centre + radius * angle.cos(), centre + radius * angle.sin())
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img">"#
    );
    for link in &group.links {
        let ((x1, y1), (x2, y2)) = (position(link.a), position(link.b));
        let kinds: Vec<String> = link.kinds.iter().map(|k| kind_label(*k)).collect();
        let kinds = escape(&kinds.join(" + "));
        let _ = write!(
            svg,
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#555" stroke-width="{}"><title>{kinds}</title></line>"##,
            link.kinds.len(),
        );
        // Off the middle, towards the first member: crossing lines (a square's diagonals) share their middle.
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#333" text-anchor="middle">{kinds}</text>"##,
            x1 + (x2 - x1) * 0.38,
            y1 + (y2 - y1) * 0.38 - 4.0,
        );
    }
    for member in &group.members {
        let (x, y) = position(*member);
        let fill = if group.flagged { "#c0392b" } else { "#2c7fb8" };
        let link = href(*member);
        if let Some(target) = &link {
            let _ = write!(svg, r#"<a href="{}">"#, escape(target));
        }
        let _ = write!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="9" fill="{fill}"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
            y + 22.0,
            escape(&label(*member))
        );
        if link.is_some() {
            svg.push_str("</a>");
        }
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(keys: &[(KeyKind, &str)]) -> ApplicationKeys {
        ApplicationKeys {
            keys: keys.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn shared_keys_link_and_two_kinds_flag() {
        let applications = [
            app(&[(KeyKind::Phone, "p1"), (KeyKind::Email, "e1")]),
            app(&[(KeyKind::Phone, "p1"), (KeyKind::Email, "e1")]),
            app(&[(KeyKind::Referrer, "r9"), (KeyKind::Phone, "p2")]),
            app(&[(KeyKind::Referrer, "r9")]),
            app(&[(KeyKind::Phone, "p3")]),
        ];
        let report = analyse(&applications, LinkConfig::default());
        assert_eq!(report.groups.len(), 2);
        let flagged: Vec<&Group> = report.groups.iter().filter(|g| g.flagged).collect();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].members, [0, 1]);
        assert_eq!(flagged[0].links[0].kinds, [KeyKind::Phone, KeyKind::Email]);
        let plain = report
            .groups
            .iter()
            .find(|g| !g.flagged)
            .map(|g| g.members.clone());
        assert_eq!(plain, Some(vec![2, 3]));
    }

    #[test]
    fn a_common_key_is_a_signal_not_a_merge() {
        let mut applications: Vec<ApplicationKeys> = (0..8)
            .map(|_| app(&[(KeyKind::Address, "hostel")]))
            .collect();
        applications.push(app(&[(KeyKind::Email, "x")]));
        let report = analyse(
            &applications,
            LinkConfig {
                common_key_limit: 5,
                independent_keys_to_flag: 2,
            },
        );
        assert!(report.groups.is_empty());
        assert_eq!(
            report.common_keys,
            [CommonKey {
                kind: KeyKind::Address,
                value: "hostel".into(),
                holders: 8
            }]
        );
    }

    #[test]
    fn transitive_links_form_one_group() {
        let applications = [
            app(&[(KeyKind::Phone, "a")]),
            app(&[(KeyKind::Phone, "a"), (KeyKind::Handle, "h")]),
            app(&[(KeyKind::Handle, "h"), (KeyKind::Document, "d")]),
            app(&[(KeyKind::Document, "d")]),
        ];
        let report = analyse(&applications, LinkConfig::default());
        assert_eq!(report.groups.len(), 1);
        assert_eq!(report.groups[0].members, [0, 1, 2, 3]);
        assert!(!report.groups[0].flagged);
    }

    #[test]
    fn normalisation_table() {
        assert_eq!(
            normalize_phone("8 (916) 123-45-67", "RU").as_deref(),
            Some("+79161234567")
        );
        assert_eq!(
            normalize_phone("+7 916 123 45 67", "UA").as_deref(),
            Some("+79161234567")
        );
        assert_eq!(
            normalize_phone("067 123 4567", "UA").as_deref(),
            Some("+380671234567")
        );
        assert_eq!(normalize_phone("12", "RU"), None);
        assert_eq!(
            normalize_email(" Ivan.Petrov+legion@GoogleMail.com ").as_deref(),
            Some("ivanpetrov@gmail.com")
        );
        assert_eq!(
            normalize_email("a.b@mail.ru").as_deref(),
            Some("a.b@mail.ru")
        );
        assert_eq!(normalize_email("nobody"), None);
        assert_eq!(
            normalize_handle("https://t.me/Ivan_Petrov/").as_deref(),
            Some("ivan_petrov")
        );
        assert_eq!(
            normalize_handle("@ivan_petrov").as_deref(),
            Some("ivan_petrov")
        );
        assert_eq!(normalize_handle("@"), None);
        assert_eq!(
            normalize_document("АВ 123-456").as_deref(),
            Some("AB123456")
        );
        assert_eq!(
            normalize_document("45 12 345678").as_deref(),
            Some("4512345678")
        );
    }

    #[test]
    fn svg_escapes_labels_and_draws_every_member() {
        let group = Group {
            members: vec![0, 1, 2],
            links: vec![
                Link {
                    a: 0,
                    b: 1,
                    kinds: vec![KeyKind::Phone, KeyKind::Email],
                },
                Link {
                    a: 1,
                    b: 2,
                    kinds: vec![KeyKind::Handle],
                },
            ],
            flagged: true,
        };
        let svg = render_group_svg(&group, &|m| format!("<case {m}>"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<line").count(), 2);
        assert!(svg.contains("&lt;case 0&gt;") && !svg.contains("<case"));
    }

    #[test]
    fn linked_svg_links_nodes_and_names_kinds_on_lines() {
        let group = Group {
            members: vec![4, 7],
            links: vec![Link {
                a: 4,
                b: 7,
                kinds: vec![KeyKind::Phone, KeyKind::Referrer],
            }],
            flagged: true,
        };
        let svg = render_group_svg_linked(
            &group,
            &|m| format!("case {m}"),
            &|m| (m == 4).then(|| format!("/cases/{m}?a=1&b=2")),
            &|kind| kind.label().to_uppercase(),
        );
        assert_eq!(svg.matches("<a href=").count(), 1);
        assert!(svg.contains(r#"<a href="/cases/4?a=1&amp;b=2">"#));
        assert!(svg.contains(">PHONE + REFERRER</text>"));
    }

    #[test]
    fn addresses_and_referrers_normalise() {
        let table: &[(&str, Option<&str>)] = &[
            ("ул. Ленина, д. 5, кв. 12", Some("ул ленина д 5 кв 12")),
            ("  УЛ ЛЕНИНА Д 5 КВ 12 ", Some("ул ленина д 5 кв 12")),
            ("Берёзовая 3", Some("березовая 3")),
            ("Moscow", None),
        ];
        for (raw, expected) in table {
            assert_eq!(normalize_address(raw).as_deref(), *expected, "{raw}");
        }
        let table: &[(&str, Option<&str>)] = &[
            ("@Recruiter_Z", Some("recruiter_z")),
            ("https://t.me/recruiter_z", Some("recruiter_z")),
            ("8 (916) 123-45-67", Some("+79161234567")),
            ("Петров Иван", Some("иван петров")),
            ("иван  ПЕТРОВ", Some("иван петров")),
            ("  ", None),
        ];
        for (raw, expected) in table {
            assert_eq!(normalize_referrer(raw, "RU").as_deref(), *expected, "{raw}");
        }
    }
}
