//! Dates and times read from text cells.

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
        weekday(self.year, self.month, self.day)
    }
}

/// Monday = 0 … Sunday = 6 (days-from-civil).
fn weekday(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days + 3).rem_euclid(7)
}

/// Reads `2024-03-31`, `2024/03/31`, `31/03/2024`, `31.03.2024`, each optionally followed by
/// ` 14:05[:09]` or `T14:05[:09][Z|+hh:mm]`. Day-first unless the middle number is above 12
/// (then month first: `03/31/2024`).
pub fn parse_datetime(text: &str) -> Option<DateTime> {
    let t = text.trim();
    let (date, time) = match t.find(['T', ' ']) {
        Some(i) => (&t[..i], Some(t[i + 1..].trim())),
        None => (t, None),
    };
    let nums: Vec<&str> = date.split(['-', '/', '.']).collect();
    if nums.len() != 3 || nums.iter().any(|n| n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n: Vec<i64> = nums.iter().filter_map(|s| s.parse().ok()).collect();
    let (year, month, day) = if nums[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if nums[2].len() == 4 {
        if n[1] > 12 { (n[2], n[0], n[1]) } else { (n[2], n[1], n[0]) }
    } else {
        return None;
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days_in_month {
        return None;
    }
    let hour = match time {
        None | Some("") => 0,
        Some(t) => {
            let hm: Vec<&str> = t.split(':').collect();
            let h: u32 = hm.first()?.parse().ok()?;
            let m: u32 = hm.get(1)?.get(..2)?.parse().ok()?;
            if h > 23 || m > 59 {
                return None;
            }
            h
        }
    };
    Some(DateTime { year, month: month as u32, day: day as u32, hour })
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
        for bad in ["", "hello", "2024-02-30", "2023-13-01", "12345", "1/2/3", "2024-01-01 25:00"] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
