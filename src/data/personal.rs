//! Personal data in a column: e-mail addresses, phone numbers, payment-card numbers (Luhn-
//! checked), IBANs (mod-97 checked), IP addresses, postal codes, dates of birth and person
//! names (from a shipped list of common given names and surnames, `assets/names/`). Each is
//! judged on a sample of the column's present cells and reported with the share that matched.
//! Kinds that ordinary numbers or words could imitate (postal codes, dates of birth, phone
//! numbers stored as numbers, single names) also need a telling column name, so the shipped
//! samples raise no false alarm.

use super::Values;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::LazyLock;

/// Cells looked at per column (the first present ones).
const SAMPLE: usize = 1000;
/// Share of sampled cells that must match.
const MIN_SHARE: f64 = 0.8;
/// Fewer present cells than this are not judged.
const MIN_CELLS: usize = 5;

static GIVEN: LazyLock<HashSet<String>> = LazyLock::new(|| words(include_str!("../../assets/names/given_names.txt")));
static SURNAMES: LazyLock<HashSet<String>> = LazyLock::new(|| words(include_str!("../../assets/names/surnames.txt")));

fn words(list: &str) -> HashSet<String> {
    list.lines().map(|l| l.trim().to_lowercase()).filter(|l| !l.is_empty()).collect()
}

/// What was found in a column, and in what share of its sampled cells.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PersonalFinding {
    /// `email`, `phone`, `payment_card`, `iban`, `ip_address`, `postal_code`, `date_of_birth`
    /// or `person_name`.
    pub what: &'static str,
    pub share: f64,
}

impl PersonalFinding {
    /// What the column holds, in words ("e-mail addresses").
    pub fn words(&self) -> &'static str {
        match self.what {
            "email" => "e-mail addresses",
            "phone" => "phone numbers",
            "payment_card" => "payment-card numbers",
            "iban" => "bank account numbers (IBAN)",
            "ip_address" => "IP addresses",
            "postal_code" => "postal codes",
            "date_of_birth" => "dates of birth",
            _ => "person names",
        }
    }

    /// The coarse part that could be kept instead, if there is one.
    pub fn coarse_part(&self) -> Option<&'static str> {
        match self.what {
            "email" => Some("the e-mail domain"),
            "date_of_birth" => Some("the year of birth"),
            "postal_code" => Some("the first digits of the postal code"),
            _ => None,
        }
    }
}

/// The words of a column name: split at `_`, `-`, spaces, dots and lower-to-upper case changes
/// ("dateOfBirth" → date, of, birth), lower-cased.
fn name_words(column: &str) -> Vec<String> {
    let mut words = vec![String::new()];
    let mut prev_lower = false;
    for c in column.chars() {
        if !c.is_alphanumeric() {
            words.push(String::new());
        } else {
            if c.is_uppercase() && prev_lower {
                words.push(String::new());
            }
            words.last_mut().into_iter().for_each(|w| w.extend(c.to_lowercase()));
        }
        prev_lower = c.is_lowercase();
    }
    words.retain(|w| !w.is_empty());
    words
}

/// Whether a whole word of the column's name is one of `hints` ("tel" matches `tel` and
/// `home_tel`, never `hotel`).
fn named(column: &str, hints: &[&str]) -> bool {
    name_words(column).iter().any(|w| hints.contains(&w.as_str()))
}

const PHONE: &[&str] = &["phone", "telephone", "tel", "mobile", "cell", "fax", "phonenumber"];
const CARD: &[&str] = &["card", "cc", "creditcard", "pan"];
const POSTAL: &[&str] = &["zip", "zipcode", "postal", "postcode", "plz"];
const BIRTH: &[&str] = &["birth", "birthday", "birthdate", "dob", "born", "dateofbirth"];
const IP: &[&str] = &["ip", "ipv4", "ipv6", "ipaddress", "addr", "host", "client"];
const PERSON: &[&str] =
    &["name", "fullname", "person", "customer", "patient", "employee", "student", "firstname", "lastname", "surname"];

/// One kind of personal data: its name, whether it applies to this column, and the cell test.
type Check<'a> = (&'static str, bool, &'a dyn Fn(&str) -> bool);

/// The personal data `values` (a column called `column`) holds, if any.
pub fn detect(column: &str, values: &Values) -> Option<PersonalFinding> {
    let cells: Vec<String> = match values {
        Values::Str(v) => {
            v.iter().flatten().map(str::trim).filter(|s| !s.is_empty()).take(SAMPLE).map(str::to_string).collect()
        }
        // Numbers can only be phone numbers, card numbers or postal codes, and only when the
        // column says so.
        Values::Numeric(v) if named(column, PHONE) || named(column, CARD) || named(column, POSTAL) => {
            v.present().take(SAMPLE).map(|x| format!("{x:.0}")).collect()
        }
        Values::Numeric(_) => return None,
    };
    if cells.len() < MIN_CELLS {
        return None;
    }
    let share = |test: &dyn Fn(&str) -> bool| cells.iter().filter(|c| test(c)).count() as f64 / cells.len() as f64;
    let checks: [Check; 8] = [
        ("email", true, &is_email),
        ("payment_card", true, &is_card),
        ("iban", true, &is_iban),
        // IPv6 is unmistakable; four dotted numbers could be a version, so IPv4 needs the name.
        ("ip_address", true, &|s| {
            s.parse::<std::net::Ipv6Addr>().is_ok() || (named(column, IP) && s.parse::<std::net::Ipv4Addr>().is_ok())
        }),
        ("phone", matches!(values, Values::Str(_)) || named(column, PHONE), &|s| is_phone(s, named(column, PHONE))),
        ("postal_code", named(column, POSTAL), &is_postal_code),
        ("date_of_birth", named(column, BIRTH), &|s| super::parse_datetime(s).is_some()),
        ("person_name", true, &|s| is_person_name(s, named(column, PERSON))),
    ];
    checks
        .iter()
        .filter(|(_, applies, _)| *applies)
        .map(|(what, _, test)| PersonalFinding { what, share: share(*test) })
        .find(|f| f.share >= MIN_SHARE)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// Digits of a cell when it is digits with spaces or dashes between.
fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_digit(10)).collect()
}

/// 13–19 digits that pass the Luhn check.
pub fn is_card(s: &str) -> bool {
    let Some(d) = digits(s) else { return false };
    if !(13..=19).contains(&d.len()) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| if i % 2 == 1 { if x * 2 > 9 { x * 2 - 9 } else { x * 2 } } else { x })
        .sum();
    sum.is_multiple_of(10)
}

/// A country code, two check digits and up to 30 letters or digits, passing the mod-97 check.
pub fn is_iban(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
    let b = compact.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut rem = 0u64;
    for c in rearranged {
        let v = if c.is_ascii_digit() { (c - b'0') as u64 } else { (c - b'A' + 10) as u64 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// 7–15 digits written as a phone number. In a column named for phones any such writing
/// counts; elsewhere only the unmistakable ones do — an international `+44 …` or a bracketed
/// area code `(555) …` — so thousands separators, ranges and part codes are not phones.
fn is_phone(s: &str, named_phone: bool) -> bool {
    let allowed = s.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let n = s.chars().filter(char::is_ascii_digit).count();
    let unmistakable = s.starts_with('+') || s.starts_with('(');
    allowed
        && (7..=15).contains(&n)
        && (unmistakable || named_phone)
        && super::parse_datetime(s).is_none()
        && !is_card(s)
}

/// US (12345, 12345-6789), UK-style (SW1A 1AA) and other 3–10 character codes of digits and
/// capital letters (the column's name has already said they are postal codes).
fn is_postal_code(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (3..=10).contains(&compact.len())
        && compact.chars().any(|c| c.is_ascii_digit())
        && compact.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// "Ada Lovelace", "Lovelace, Ada", "Mary Ann Smith"; a single given name or surname only when
/// the column is named for people.
fn is_person_name(s: &str, named_person: bool) -> bool {
    let (first, last) = match s.split_once(',') {
        Some((last, first)) => (first.trim(), last.trim()),
        None => (s, s),
    };
    let tokens: Vec<String> =
        s.split([' ', ',']).filter(|t| !t.is_empty()).map(|t| t.trim_matches('.').to_lowercase()).collect();
    if tokens.is_empty() || tokens.len() > 4 || !s.chars().next().is_some_and(char::is_uppercase) {
        return false;
    }
    if tokens.len() == 1 {
        return named_person && (GIVEN.contains(&tokens[0]) || SURNAMES.contains(&tokens[0]));
    }
    let first_word = first.split(' ').next().unwrap_or("").to_lowercase();
    let last_word = last.rsplit(' ').next().unwrap_or("").to_lowercase();
    GIVEN.contains(&first_word) && SURNAMES.contains(&last_word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(cells: &[&str]) -> Values {
        Values::Str(cells.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>().into())
    }

    #[test]
    fn each_kind_is_found() {
        let cases: [(&str, &[&str], &str); 8] = [
            ("contact", &["ada@example.org", "bob.smith@mail.co.uk", "x_y@uni.edu", "c@d.io", "e@f.fr"], "email"),
            (
                "x",
                &[
                    "4111 1111 1111 1111",
                    "5500-0000-0000-0004",
                    "340000000000009",
                    "4012888888881881",
                    "6011000990139424",
                ],
                "payment_card",
            ),
            (
                "acct",
                &[
                    "DE89 3704 0044 0532 0130 00",
                    "GB29NWBK60161331926819",
                    "FR1420041010050500013M02606",
                    "NL91ABNA0417164300",
                    "BE68539007547034",
                ],
                "iban",
            ),
            ("ip", &["192.168.0.1", "10.0.0.254", "::1", "2001:db8::1", "8.8.8.8"], "ip_address"),
            (
                "phone",
                &["+44 20 7946 0958", "(555) 123-4567", "555-987-6543", "+1 202 555 0143", "030 1234567"],
                "phone",
            ),
            ("zip_code", &["90210", "10001-1234", "SW1A 1AA", "75008", "02139"], "postal_code"),
            ("date_of_birth", &["1984-03-12", "1990-11-02", "2001-07-30", "1975-01-15", "1969-12-31"], "date_of_birth"),
            ("who", &["Michael Davis", "John Smith", "Mary Johnson", "Williams, Robert", "James Brown"], "person_name"),
        ];
        for (name, cells, what) in cases {
            let f = detect(name, &col(cells)).unwrap_or_else(|| panic!("{what} not found"));
            assert_eq!((f.what, f.share), (what, 1.0), "{cells:?}");
        }
    }

    #[test]
    fn checks_reject_look_alikes() {
        assert!(!is_card("4111 1111 1111 1112"), "Luhn fails");
        assert!(!is_iban("DE89 3704 0044 0532 0130 01"), "mod 97 fails");
        assert!(!is_email("not an@email.com"));
        // Ordinary words, sentences, measurements and dates are not personal data.
        for cells in [
            &["Adelie", "Gentoo", "Chinstrap", "Adelie", "Gentoo"][..],
            &["NEAR BAY", "INLAND", "NEAR OCEAN", "ISLAND", "<1H OCEAN"],
            &[
                "Go until jurong point, crazy..",
                "Ok lar...",
                "Free entry in 2 a wkly comp",
                "U dun say so early hor",
                "Nah I don't think",
            ],
            &["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"],
            &["1.2.3.4", "10.0.1.2", "2.0.0.1", "1.4.2.9", "3.1.0.7"],
            &["1.234.567", "1 234 567", "10000-20000", "123-4567", "100000 - 250000"],
        ] {
            assert_eq!(detect("col", &col(cells)), None, "{cells:?}");
        }
        let numbers = Values::Numeric((0..50).map(|i| Some(90000.0 + i as f64)).collect());
        assert_eq!(detect("median_house_value", &numbers), None);
        assert_eq!(detect("zip", &numbers).map(|f| f.what), Some("postal_code"));
        let ids = Values::Numeric((0..50).map(|i| Some(4_000_000.0 + i as f64)).collect());
        assert_eq!(detect("hotel_booking", &ids), None, "'hotel' is not 'tel'");
        assert_eq!(detect("telephone", &ids).map(|f| f.what), Some("phone"));
        assert_eq!(name_words("dateOfBirth"), ["date", "of", "birth"]);
    }
}
