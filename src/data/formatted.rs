//! Cells written for people rather than for programs: numbers with thousands separators
//! (`1,234.5`) or a currency sign (`$1,234.50`, `12 €`, `-£3`), read as numbers when a whole
//! text column is written that way; and "not available" markers (`NA`, `n/a`, `null`, `?`) in
//! a column of labels, which are missing cells rather than a label of their own.

use super::{Numbers, Strings};

/// Currency signs a number may carry, before or after it.
const CURRENCIES: &[char] = &['$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '₫', '₴', '₦', '₱', '฿', '¢'];

/// Texts that mean "no value" among labels. Case matters: `Na` (sodium) or `none` (an answer)
/// are labels; `None` is left out for the same reason.
const LABEL_MARKERS: &[&str] = &["NA", "N/A", "n/a", "#N/A", "NaN", "nan", "null", "NULL", "Null", "?"];

/// Texts that mean "no value" in a column of numbers (as the number reader takes them).
const NUMBER_MARKERS: &[&str] = &["NA", "N/A", "#N/A", "NaN", "null", "None", "?"];

/// One cell read as a formatted number: its value, and the currency sign it carried. `None`
/// for anything else than a plain number or one written with thousands separators (groups of
/// three digits after the first one to three) and at most one currency sign, before or after
/// the number, with a minus sign on either side of a leading currency (`-$5`, `$-5`).
pub(crate) fn formatted_number(text: &str) -> Option<(f64, Option<char>)> {
    let mut t = text.trim();
    let mut negative = false;
    let mut currency = None;
    if let Some(rest) = t.strip_prefix('-') {
        negative = true;
        t = rest.trim_start();
    } else if let Some(rest) = t.strip_prefix('+') {
        t = rest.trim_start();
    }
    if let Some(c) = t.chars().next().filter(|c| CURRENCIES.contains(c)) {
        currency = Some(c);
        t = t[c.len_utf8()..].trim_start();
        if let Some(rest) = t.strip_prefix('-').filter(|_| !negative) {
            negative = true;
            t = rest;
        }
    } else if let Some(c) = t.chars().last().filter(|c| CURRENCIES.contains(c)) {
        currency = Some(c);
        t = t[..t.len() - c.len_utf8()].trim_end();
    }
    let (whole, fraction) = match t.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (w, Some(f)),
        Some(_) => return None,
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or("");
    let grouped = whole.contains(',');
    let whole_ok = if grouped {
        (1..=3).contains(&first.len()) && digits(first) && groups.all(|g| g.len() == 3 && digits(g))
    } else {
        digits(whole) || (whole.is_empty() && fraction.is_some())
    };
    if !whole_ok {
        return None;
    }
    let plain = format!("{}.{}", whole.replace(',', ""), fraction.unwrap_or("0"));
    let x = plain.parse::<f64>().ok().filter(|x| x.is_finite())?;
    Some((if negative { -x } else { x }, currency))
}

/// Whether the cell (trimmed) is a "not available" marker of a column of numbers.
fn number_marker(t: &str) -> bool {
    NUMBER_MARKERS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// The column as numbers when every present value is a number and at least one is written
/// with thousands separators or a currency sign, all in the same currency (amounts in different
/// currencies are no one quantity); "not available" markers are missing. Each distinct value is
/// parsed once.
pub(crate) fn formatted_numbers(strings: &Strings) -> Option<Numbers> {
    let mut formatted = false;
    let mut sign: Option<char> = None;
    let mut by_code = Vec::with_capacity(strings.dict().len());
    for cell in strings.dict() {
        let t = cell.trim();
        if t.is_empty() || number_marker(t) {
            by_code.push(None);
            continue;
        }
        let (x, currency) = formatted_number(t)?;
        if let Some(c) = currency {
            if sign.is_some_and(|s| s != c) {
                return None;
            }
            sign = Some(c);
        }
        formatted |= currency.is_some() || t.contains(',');
        by_code.push(Some(x));
    }
    formatted.then(|| strings.codes().iter().map(|&c| by_code.get(c as usize).copied().flatten()).collect())
}

/// The labels with their "not available" markers as missing cells, when the column holds
/// other labels too (a column of markers only keeps them: they are all it says).
pub(crate) fn without_markers(strings: Strings) -> Strings {
    let marker = |s: &str| LABEL_MARKERS.contains(&s.trim());
    let dict = strings.dict();
    if !dict.iter().any(|s| marker(s)) || dict.iter().all(|s| marker(s) || s.trim().is_empty()) {
        return strings;
    }
    strings.map_values(|s| (!marker(s)).then(|| s.to_string()))
}

/// A cell of a column of numbers, as a served request or a file to predict may write it: a
/// plain or formatted number, `None` inside for missing (empty or a marker), `None` outside
/// when it is no number.
pub(crate) fn number_cell(text: &str) -> Option<Option<f64>> {
    let t = text.trim();
    if t.is_empty() || number_marker(t) {
        return Some(None);
    }
    if let Some(x) = t.parse::<f64>().ok().filter(|x| x.is_finite()) {
        return Some(Some(x));
    }
    formatted_number(t).map(|(x, _)| Some(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_and_currencies_read_as_numbers() {
        let read = |s: &str| formatted_number(s).map(|(x, _)| x);
        assert_eq!(read("1,234.5"), Some(1234.5));
        assert_eq!(read("12,345,678"), Some(12_345_678.0));
        assert_eq!(read("$1,234.50"), Some(1234.5));
        assert_eq!(read("-$5.00"), Some(-5.0));
        assert_eq!(read("$-5"), Some(-5.0));
        assert_eq!(read(" 12 € "), Some(12.0));
        assert_eq!(read("£.50"), Some(0.5));
        assert_eq!(formatted_number("€3").unwrap().1, Some('€'));
        assert_eq!(read("42"), Some(42.0));
        for bad in ["1,23", "1,2345", ",123", "1,234,", "12a", "$", "$$5", "1.2.3", "1.", "--5", "$-", "5$€", "a,bcd"]
        {
            assert_eq!(read(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_column_is_numbers_only_when_every_value_is() {
        let col = |cells: &[&str]| Strings::from(cells.iter().map(|c| Some(c.to_string())).collect::<Vec<_>>());
        let n = formatted_numbers(&col(&["1,234.5", "12", "NA", "", "-7.25"])).unwrap();
        assert_eq!(n.to_options(), vec![Some(1234.5), Some(12.0), None, None, Some(-7.25)]);
        assert_eq!(formatted_numbers(&col(&["$1,200", "$3.5"])).unwrap().to_options(), vec![Some(1200.0), Some(3.5)]);
        assert!(formatted_numbers(&col(&["12", "3.5"])).is_none(), "plain numbers are the reader's own business");
        assert!(formatted_numbers(&col(&["1,234", "large"])).is_none());
        assert!(formatted_numbers(&col(&["$12", "€12"])).is_none(), "two currencies are not one quantity");
    }

    #[test]
    fn markers_among_labels_are_missing() {
        let col = |cells: &[&str]| Strings::from(cells.iter().map(|c| Some(c.to_string())).collect::<Vec<_>>());
        let s = without_markers(col(&["yes", "NA", "no", "?", "n/a", "none", "Na"]));
        let cells: Vec<Option<&str>> = s.iter().collect();
        assert_eq!(cells, vec![Some("yes"), None, Some("no"), None, None, Some("none"), Some("Na")]);
        let only = without_markers(col(&["NA", "NA"]));
        assert_eq!(only.get(1), Some("NA"), "a column of markers only keeps them");
        assert_eq!(number_cell("$1,234.50"), Some(Some(1234.5)));
        assert_eq!(number_cell("n/a"), Some(None));
        assert_eq!(number_cell("1e3"), Some(Some(1000.0)));
        assert_eq!(number_cell("twelve"), None);
    }

    #[test]
    fn a_messy_file_reads_as_people_meant_it() {
        use crate::data::{ColumnKind, read_csv_bytes};
        let csv = "x,price,x,label,when,\n\
                   1,\"$1,234.50\",a,yes,\"Mar 5, 2021\",p\n\
                   2,-$3,b,NA,\"Apr 12, 2021\",q\n\
                   3,,c,no,,r\n";
        let ds = read_csv_bytes("m.csv", csv.as_bytes().to_vec()).unwrap();
        assert_eq!(ds.column_names(), ["x", "price", "x_2", "label", "when", "column_6"]);
        let price = ds.column("price").unwrap();
        assert_eq!(price.values, crate::data::Values::Numeric(vec![Some(1234.5), Some(-3.0), None].into()));
        let label = ds.column("label").unwrap();
        assert_eq!((label.cell_text(0), label.missing()), ("yes".to_string(), 1), "NA among labels is missing");
        assert_eq!(ds.column("when").unwrap().kind, ColumnKind::Categorical, "dates are no free text");
    }
}
