//! Dates and times read from text cells, with chrono. A column is read with ONE date layout,
//! detected from its cells ([`DateFormat::detect`]), so `03/04/2024` means the same in every
//! row of a column.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// A parsed date and time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
}

impl DateTime {
    /// A number that orders date-times (hours, counting months as 31 days: only the order
    /// matters).
    pub fn order_key(self) -> f64 {
        (((self.year * 12 + self.month as i64) * 31 + self.day as i64) * 24 + self.hour as i64) as f64
    }

    /// Monday = 0 … Sunday = 6.
    pub fn weekday(self) -> i64 {
        i32::try_from(self.year)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, self.month, self.day))
            .map_or(0, |d| i64::from(d.weekday().num_days_from_monday()))
    }
}

/// The date layout of a column: the order of year, month and day, and the separator. The
/// time after the date (` 14:05`, `T14:05:09`, `T14:05:09Z`, `T14:05:09+02:00`, RFC 3339)
/// is read the same way whatever the layout; an offset is ignored (the wall-clock time counts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// `2024-03-31` (ISO 8601, RFC 3339)
    YmdDash,
    /// `2024/03/31`
    YmdSlash,
    /// `2024.03.31`
    YmdDot,
    /// `31/03/2024`
    DmySlash,
    /// `31-03-2024`
    DmyDash,
    /// `31.03.2024`
    DmyDot,
    /// `03/31/2024`
    MdySlash,
    /// `03-31-2024`
    MdyDash,
    /// `03.31.2024`
    MdyDot,
    /// `Mar 31, 2024`, `March 31 2024` (the month's name first)
    MonthNameDy,
    /// `31 Mar 2024`, `31-Mar-2024`, `31 March 2024`
    DayMonthNameY,
}

/// Every layout, in the order of preference used by [`DateFormat::detect`].
const ALL: [DateFormat; 11] = [
    DateFormat::YmdDash,
    DateFormat::YmdSlash,
    DateFormat::YmdDot,
    DateFormat::DmySlash,
    DateFormat::DmyDash,
    DateFormat::DmyDot,
    DateFormat::MdySlash,
    DateFormat::MdyDash,
    DateFormat::MdyDot,
    DateFormat::MonthNameDy,
    DateFormat::DayMonthNameY,
];

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A month's number from its English name or abbreviation (`Mar`, `March`, `Sept.`, any case).
fn month_number(word: &str) -> Option<u32> {
    let w = word.strip_suffix('.').unwrap_or(word).to_ascii_lowercase();
    if w == "sept" {
        return Some(9);
    }
    let at = MONTHS.iter().position(|m| w.len() >= 3 && m.starts_with(&w) && (w.len() == 3 || w == *m))?;
    Some(at as u32 + 1)
}

/// Times after the date, tried in turn (chrono patterns).
const TIMES: [&str; 6] = ["%H:%M:%S%.f", "%H:%M", "%H:%M:%S%.fZ", "%H:%M:%S%.f%:z", "%H:%M:%S%.f%z", "%H:%MZ"];

impl DateFormat {
    /// The chrono pattern of the date part.
    pub fn pattern(self) -> &'static str {
        match self {
            DateFormat::YmdDash => "%Y-%m-%d",
            DateFormat::YmdSlash => "%Y/%m/%d",
            DateFormat::YmdDot => "%Y.%m.%d",
            DateFormat::DmySlash => "%d/%m/%Y",
            DateFormat::DmyDash => "%d-%m-%Y",
            DateFormat::DmyDot => "%d.%m.%Y",
            DateFormat::MdySlash => "%m/%d/%Y",
            DateFormat::MdyDash => "%m-%d-%Y",
            DateFormat::MdyDot => "%m.%d.%Y",
            DateFormat::MonthNameDy => "%b %d, %Y",
            DateFormat::DayMonthNameY => "%d %b %Y",
        }
    }

    fn separator(self) -> char {
        self.pattern().as_bytes()[2] as char
    }

    fn year_first(self) -> bool {
        self.pattern().starts_with("%Y")
    }

    /// The one layout under which every non-empty cell of `sample` reads as a date, or `None`
    /// when there is no such layout (or no non-empty cell).
    ///
    /// The rule: a year-first layout (ISO) when the cells are year-first. Otherwise day-first
    /// (`31/03/2024`), unless some cell cannot be day-first because its second number is above
    /// 12: then month-first (`03/31/2024`). So a column is read month-first only when the data
    /// shows it; with no number above 12 it is read day-first; a column holding both `25/04`
    /// and `04/25` has no single layout.
    pub fn detect(sample: &[&str]) -> Option<DateFormat> {
        // ALL is in the order of preference, so the first layout that reads every cell wins;
        // a layout is dropped at its first unreadable cell.
        let present: Vec<&str> = sample.iter().copied().filter(|s| !s.trim().is_empty()).collect();
        if present.is_empty() {
            return None;
        }
        ALL.into_iter().find(|f| present.iter().all(|s| f.parse(s).is_some()))
    }

    /// The layout under which the most non-empty cells of `sample` read as dates (the earlier
    /// in [`ALL`] on a tie) and how many do; `None` when no cell does.
    pub fn best(sample: &[&str]) -> Option<(DateFormat, usize)> {
        let mut best: Option<(DateFormat, usize)> = None;
        for f in ALL {
            let n = sample.iter().filter(|s| !s.trim().is_empty() && f.parse(s).is_some()).count();
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((f, n));
            }
        }
        best
    }

    /// Reads one cell in this layout, optionally followed by a time; `None` when it is not a
    /// valid date so written (a 4-digit year, 1–2 digit month and day).
    pub fn parse(self, text: &str) -> Option<DateTime> {
        let t = text.trim();
        if matches!(self, DateFormat::MonthNameDy | DateFormat::DayMonthNameY) {
            return self.parse_named(t);
        }
        let (date, time) = match t.find(['T', ' ']) {
            Some(i) => (&t[..i], t[i + 1..].trim()),
            None => (t, ""),
        };
        let groups: Vec<&str> = date.split(self.separator()).collect();
        let year_at = if self.year_first() { 0 } else { 2 };
        let shape_ok = groups.len() == 3
            && groups.iter().enumerate().all(|(i, g)| {
                let len_ok = if i == year_at { g.len() == 4 } else { (1..=2).contains(&g.len()) };
                len_ok && g.bytes().all(|b| b.is_ascii_digit())
            });
        if !shape_ok {
            return None;
        }
        let day = NaiveDate::parse_from_str(date, self.pattern()).ok()?;
        let hour = if time.is_empty() {
            0
        } else {
            TIMES.iter().find_map(|p| NaiveTime::parse_from_str(time, p).ok())?.hour()
        };
        Some(DateTime { year: i64::from(day.year()), month: day.month(), day: day.day(), hour })
    }

    /// A date with the month's name: its first three words (parted by spaces, commas or
    /// dashes) are the month, the day (`5`, `05`, `5th`) and the 4-digit year in this layout's
    /// order; a time may follow.
    fn parse_named(self, t: &str) -> Option<DateTime> {
        let parting = [' ', ',', '-'];
        let mut rest = t;
        let mut words = [""; 3];
        for word in &mut words {
            rest = rest.trim_start_matches(parting);
            let end = rest.find(parting).unwrap_or(rest.len());
            *word = &rest[..end];
            rest = &rest[end..];
        }
        let (month, day, year) = match self {
            DateFormat::MonthNameDy => (words[0], words[1], words[2]),
            _ => (words[1], words[0], words[2]),
        };
        let day = ["st", "nd", "rd", "th"].iter().find_map(|s| day.strip_suffix(s)).unwrap_or(day);
        let number = |s: &str, len: std::ops::RangeInclusive<usize>| {
            (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten()
        };
        let date = NaiveDate::from_ymd_opt(number(year, 4..=4)? as i32, month_number(month)?, number(day, 1..=2)?)?;
        let time = rest.trim_start_matches(',').trim();
        let hour = if time.is_empty() {
            0
        } else {
            TIMES.iter().find_map(|p| NaiveTime::parse_from_str(time, p).ok())?.hour()
        };
        Some(DateTime { year: i64::from(date.year()), month: date.month(), day: date.day(), hour })
    }
}

/// Reads one cell on its own: its layout is detected from the cell alone (so `03/04/2024` is
/// day-first). Prefer [`DateFormat::detect`] on a whole column, then [`DateFormat::parse`].
pub fn parse_datetime(text: &str) -> Option<DateTime> {
    DateFormat::detect(&[text])?.parse(text)
}

/// Why a column's cells have no single date layout.
#[derive(Clone, Debug, PartialEq)]
pub enum DateProblem {
    /// This row (0-based) holds text that is no date in any layout.
    NotADate { row: usize, text: String },
    /// This row cannot be read in the same layout as `first_row`.
    Mixed { row: usize, text: String, first_row: usize, first_text: String },
    /// No cell holds anything.
    Empty,
}

impl std::fmt::Display for DateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateProblem::NotADate { row, text } => {
                write!(f, "row {} holds '{text}', which is not a date like 2024-03-31 or 31/03/2024 14:05", row + 1)
            }
            DateProblem::Mixed { row, text, first_row, first_text } => write!(
                f,
                "row {} holds '{text}', which is not written like row {} ('{first_text}'): use one date layout per column, such as 2024-03-31",
                row + 1,
                first_row + 1
            ),
            DateProblem::Empty => write!(f, "no row holds a date"),
        }
    }
}

/// The one layout of a column's `(row, cell)`s (empty cells are skipped), or the first row
/// that shows why there is none.
pub fn detect_column<'a>(cells: impl Iterator<Item = (usize, &'a str)> + Clone) -> Result<DateFormat, DateProblem> {
    let present = cells.filter(|(_, s)| !s.trim().is_empty());
    let texts: Vec<&str> = present.clone().map(|(_, s)| s).collect();
    if let Some(f) = DateFormat::detect(&texts) {
        return Ok(f);
    }
    let mut first: Option<(usize, &str)> = None;
    for (row, text) in present {
        if parse_datetime(text).is_none() {
            return Err(DateProblem::NotADate { row, text: text.to_string() });
        }
        match first {
            None => first = Some((row, text)),
            Some((first_row, first_text)) if DateFormat::detect(&[first_text, text]).is_none() => {
                return Err(DateProblem::Mixed {
                    row,
                    text: text.to_string(),
                    first_row,
                    first_text: first_text.to_string(),
                });
            }
            Some(_) => {}
        }
    }
    Err(DateProblem::Empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_and_weekdays_are_right() {
        let d = parse_datetime("2024-03-31 14:05:09").unwrap();
        assert_eq!((d.year, d.month, d.day, d.hour), (2024, 3, 31, 14));
        assert_eq!(d.weekday(), 6, "31 March 2024 was a Sunday");
        assert_eq!(parse_datetime("2000-01-01").unwrap().weekday(), 5, "a Saturday");
        assert_eq!(parse_datetime("31/03/2024").unwrap().month, 3);
        assert_eq!(parse_datetime("03/31/2024").unwrap().day, 31);
        assert_eq!(parse_datetime("2024-03-31T08:00:00Z").unwrap().hour, 8);
        assert_eq!(parse_datetime("2024-03-31T08:30:00.250+02:00").unwrap().hour, 8);
        assert_eq!(parse_datetime("31.03.2024 23:59").unwrap().hour, 23);
        let d = parse_datetime("Mar 5, 2021").unwrap();
        assert_eq!((d.year, d.month, d.day, d.hour), (2021, 3, 5, 0));
        assert_eq!(parse_datetime("September 30 2020 14:05").unwrap().hour, 14);
        assert_eq!(parse_datetime("sept. 1st, 2020").unwrap().month, 9);
        let d = parse_datetime("05-Mar-2021").unwrap();
        assert_eq!((d.year, d.month, d.day), (2021, 3, 5));
        assert_eq!(parse_datetime("31 December 1999").unwrap().day, 31);
        let odd =
            ["Mar 32, 2021", "Feb 29, 2021", "Ma 5, 2021", "Marc 5, 2021", "Mar 5", "Mar 5, 21", "5 Mar 2021 soon"];
        for bad in odd.into_iter().chain([
            "",
            "hello",
            "2024-02-30",
            "2023-13-01",
            "12345",
            "1/2/3",
            "2024-01-01 25:00",
            "2024-01-01 x",
        ]) {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn one_layout_per_column() {
        // Day > 12 in the first place: the whole column is day-first, so 03/04 is 3 April (the
        // old per-cell guess read it the same way, as it defaulted to day-first).
        let f = DateFormat::detect(&["03/04/2024", "25/04/2024", ""]).unwrap();
        assert_eq!(f, DateFormat::DmySlash);
        assert_eq!((f.parse("03/04/2024").unwrap().month, f.parse("03/04/2024").unwrap().day), (4, 3));
        // A number > 12 in the second place: month-first throughout, so 04/05 is 5 April (the
        // old per-cell guess read it as 4 May, unlike its neighbour 04/25).
        let f = DateFormat::detect(&["04/25/2024", "04/05/2024"]).unwrap();
        assert_eq!(f, DateFormat::MdySlash);
        assert_eq!((f.parse("04/05/2024").unwrap().month, f.parse("04/05/2024").unwrap().day), (4, 5));
        assert_eq!(f.parse("25/04/2024"), None);
        // Nothing above 12: day-first by default; ISO columns stay ISO.
        assert_eq!(DateFormat::detect(&["01/02/2024", "11/12/2024"]), Some(DateFormat::DmySlash));
        assert_eq!(DateFormat::detect(&["2024-03-31", "2024-04-01 10:00"]), Some(DateFormat::YmdDash));
        // No single layout, or no dates at all.
        assert_eq!(DateFormat::detect(&["25/04/2024", "04/25/2024"]), None);
        assert_eq!(DateFormat::detect(&["2024-03-31", "31/03/2024"]), None);
        assert_eq!(DateFormat::detect(&["", " "]), None);
        assert_eq!(DateFormat::detect(&["2024-02-30"]), None);
        // The reason names the row.
        let cells = ["25/04/2024", "", "04/25/2024"];
        assert!(matches!(
            detect_column(cells.iter().copied().enumerate()),
            Err(DateProblem::Mixed { row: 2, first_row: 0, .. })
        ));
        let cells = ["2024-01-01", "soon"];
        assert_eq!(
            detect_column(cells.iter().copied().enumerate()),
            Err(DateProblem::NotADate { row: 1, text: "soon".into() })
        );
    }
}
