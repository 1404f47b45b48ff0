//! The cases of the robustness sweep (`sweep.rs`): small messy tables built with the helpers of
//! `sweep_tables.rs`, each with what is expected of it.

use crate::sweep_tables::*;
use chrono::{Datelike, NaiveDate};

pub fn id_and_names() -> Vec<Case> {
    let mut ids: Vec<usize> = (0..300).collect();
    Rng::new(1).shuffle(&mut ids);
    let reg = with_extras(11, 300, Kind::Regression, "y", &["id"], |_, i, _| vec![(100_000 + ids[i]).to_string()]);
    let cls = with_extras(12, 300, Kind::Classification, "churned", &["customer_id"], |rng, _, _| vec![uuid(rng)]);
    let names = with_extras(13, 300, Kind::Regression, "y", &["name"], |rng, _, _| vec![person(rng)]);
    let titles = with_extras(14, 300, Kind::Classification, "bestseller", &["title"], |rng, _, _| vec![title(rng)]);
    vec![
        case("id_ints", "unique integer ID column", reg, "y", Kind::Regression),
        case("id_uuid", "UUID-like ID strings", cls, "churned", Kind::Classification),
        case("person_names", "person names ('Last, First', initials, accents)", names, "y", Kind::Regression),
        case("titles", "book titles", titles, "bestseller", Kind::Classification),
    ]
}

pub fn constants_and_dates() -> Vec<Case> {
    let constant = with_extras(21, 250, Kind::Regression, "y", &["country", "version", "unit"], |_, _, _| {
        vec!["FR".into(), "1".into(), "kg ".into()]
    });
    // The target drifts with the year, so a date read as a date helps.
    let dated = |seed, fmt: &'static str, column: &'static str| {
        let mut t = with_extras(seed, 300, Kind::Regression, "y", &[column], |rng, _, _| {
            let d = day(rng);
            vec![if rng.chance(0.04) { String::new() } else { d.format(fmt).to_string() }]
        });
        for row in &mut t.rows {
            if let Ok(d) = NaiveDate::parse_from_str(&row[0], fmt) {
                let y: f64 = row[4].parse().unwrap();
                row[4] = f2(y + 4.0 * f64::from(d.year() - 2017));
            }
        }
        t
    };
    vec![
        case("constant", "constant columns (text, number, trailing space)", constant, "y", Kind::Regression),
        floored(
            case(
                "dates_iso",
                "ISO dates 2021-03-05, 4 % missing",
                dated(22, "%Y-%m-%d", "signup"),
                "y",
                Kind::Regression,
            ),
            0.9,
        ),
        floored(
            case("dates_dmy", "dd/mm/yyyy dates", dated(23, "%d/%m/%Y", "date_of_sale"), "y", Kind::Regression),
            0.9,
        ),
        floored(
            case("dates_text", "dates as 'Mar 5, 2021'", dated(24, "%b %-d, %Y", "opened"), "y", Kind::Regression),
            0.9,
        ),
    ]
}

pub fn numbers_as_text() -> Vec<Case> {
    let mut rng = Rng::new(31);
    let mut money = Table::new(&["income", "rooms", "y"]);
    let mut prices = Table::new(&["price", "fee", "local_price", "region", "y"]);
    for _ in 0..300 {
        let income = (rng.uniform(6.0, 12.0)).exp();
        let rooms = 1 + rng.below(6);
        let y = income / 1000.0 * 2.0 + 3.0 * rooms as f64 + 5.0 * rng.normal();
        money.push(vec![thousands(income), rooms.to_string(), f2(y)]);
        // A refund now and then is a negative price.
        let price = if rng.chance(0.05) { -rng.uniform(5.0, 50.0) } else { rng.uniform(5.0, 3000.0) };
        let fee = rng.uniform(0.0, 40.0);
        let region = rng.pick(&["EU", "US", "UK"]);
        let y = 0.05 * price + fee + 3.0 * rng.normal();
        // The same amount in the region's own currency: three currencies in one column.
        let local = match region {
            "EU" => format!("€{}", thousands(price * 0.9)),
            "UK" => format!("£{}", thousands(price * 0.8)),
            _ => format!("${}", thousands(price)),
        };
        let price_text = format!("{}${}", if price < 0.0 { "-" } else { "" }, thousands(price.abs()));
        prices.push(vec![price_text, format!("{fee:.2} €"), local, region.into(), f2(y)]);
    }
    let bools =
        with_extras(33, 300, Kind::Classification, "bought", &["member", "active", "newsletter"], |rng, _, s| {
            // The booleans carry part of the answer: "yes" members buy more often.
            let member = if s.label == "yes" { rng.chance(0.8) } else { rng.chance(0.3) };
            vec![
                (if member { "yes" } else { "no" }).into(),
                (if rng.chance(0.5) { "True" } else { "False" }).into(),
                (if rng.chance(0.5) { "1" } else { "0" }).into(),
            ]
        });
    vec![
        floored(
            case("thousands", "numbers as text with thousands separators '1,234.5'", money, "y", Kind::Regression),
            0.9,
        ),
        floored(
            case(
                "currency",
                "money '-$1,234.5', '12.50 €', and a column in three currencies",
                prices,
                "y",
                Kind::Regression,
            ),
            0.9,
        ),
        case("booleans", "booleans yes/no, True/False, 1/0", bools, "bought", Kind::Classification),
    ]
}

pub fn missing_cells() -> Vec<Case> {
    let sparse = with_extras(41, 300, Kind::Regression, "y", &["rare_measure"], |rng, _, s| {
        vec![if rng.chance(0.9) { String::new() } else { f2(s.x1 * 2.0 + rng.normal()) }]
    });
    let empty =
        with_extras(42, 300, Kind::Regression, "y", &["empty", "nothing"], |_, _, _| vec![String::new(), "NA".into()]);
    let mut reg = with_extras(43, 300, Kind::Regression, "y", &[], |_, _, _| vec![]);
    let mut cls = with_extras(44, 300, Kind::Classification, "label", &[], |_, _, _| vec![]);
    let mut rng = Rng::new(45);
    for t in [&mut reg, &mut cls] {
        for row in &mut t.rows {
            if rng.chance(0.15) {
                row[3] = if rng.chance(0.5) { String::new() } else { "NA".into() };
            }
        }
    }
    vec![
        case("missing_90", "a column 90 % missing", sparse, "y", Kind::Regression),
        case("all_missing", "an all-empty column and an all-'NA' column", empty, "y", Kind::Regression),
        case("target_missing_reg", "15 % of the (numeric) target missing", reg, "y", Kind::Regression),
        case("target_missing_cls", "15 % of the class target missing", cls, "label", Kind::Classification),
    ]
}

pub fn odd_classes() -> Vec<Case> {
    let mut singles = with_extras(51, 300, Kind::Classification, "species", &[], |_, _, _| vec![]);
    for (row, name) in singles.rows.iter_mut().zip(["rare_a", "rare_b", "rare_c"]) {
        row[3] = name.into();
    }
    let mut rng = Rng::new(52);
    let mut grades = Table::new(&["x1", "x2", "group", "grade"]);
    for _ in 0..300 {
        let s = signal(&mut rng);
        let score = s.y - 100.0;
        let grade = if score < -4.0 {
            "1"
        } else if score < 4.0 {
            "2"
        } else {
            "3"
        };
        let mut row = cells(&s);
        row.push(grade.into());
        grades.push(row);
    }
    let mut dups = with_extras(53, 100, Kind::Classification, "label", &[], |_, _, _| vec![]);
    let copies: Vec<Vec<String>> = dups.rows.iter().flat_map(|r| [r.clone(), r.clone()]).collect();
    dups.rows.extend(copies);
    Rng::new(54).shuffle(&mut dups.rows);
    vec![
        case("singleton_classes", "three classes with one row each", singles, "species", Kind::Classification),
        case("numeric_labels", "classes '1', '2', '3' that look like numbers", grades, "grade", Kind::Classification),
        case("duplicates", "every row three times", dups, "label", Kind::Classification),
    ]
}

pub fn shapes() -> Vec<Case> {
    let mut rng = Rng::new(61);
    let names: Vec<String> = (0..80).map(|j| format!("f{j}")).chain(["y".to_string()]).collect();
    let mut wide = Table::new(&names.iter().map(String::as_str).collect::<Vec<_>>());
    for _ in 0..40 {
        let f: Vec<f64> = (0..80).map(|_| rng.normal()).collect();
        let y = 3.0 * f[0] - 2.0 * f[1] + f[2] + 0.3 * rng.normal();
        wide.push(f.iter().map(|x| f2(*x)).chain([f2(y)]).collect());
    }
    let tiny_reg = with_extras(62, 5, Kind::Regression, "y", &[], |_, _, _| vec![]);
    let mut tiny_cls = with_extras(63, 5, Kind::Classification, "label", &[], |_, _, _| vec![]);
    for (row, label) in tiny_cls.rows.iter_mut().zip(["yes", "no", "yes", "no", "yes"]) {
        row[3] = label.into();
    }
    let tiny = |name, what, table, target: &str, kind| Case {
        compare: false,
        refusal: Refusal::Allowed,
        ..case(name, what, table, target, kind)
    };
    vec![
        case("wide", "80 feature columns, 40 rows", wide, "y", Kind::Regression),
        tiny("tiny_reg", "5 rows (regression)", tiny_reg, "y", Kind::Regression),
        tiny("tiny_cls", "5 rows (two classes)", tiny_cls, "label", Kind::Classification),
    ]
}

pub fn text_and_signs() -> Vec<Case> {
    let reviews = with_extras(71, 300, Kind::Classification, "sentiment", &["review"], |rng, _, s| {
        let agrees = rng.chance(0.85);
        let text = sentence(rng, (s.label == "yes") == agrees);
        // One review in ten runs over two lines (a line break inside quotes).
        vec![if rng.chance(0.1) { text.replacen(", ", ",\n", 1) } else { text }]
    });
    let mut rng = Rng::new(72);
    let mut signs = Table::new(&["temp_c", "balance", "change", "y"]);
    for _ in 0..300 {
        let temp = rng.uniform(-30.0, 0.0).round();
        let balance = if rng.chance(0.4) { 0.0 } else { rng.uniform(-500.0, 500.0) };
        let change = if rng.chance(0.2) { 0.0 } else { rng.normal() * 5.0 };
        let y = 2.0 * temp + 0.02 * balance - change + rng.normal();
        let temp_text = if temp == 0.0 && rng.chance(0.5) { "-0".to_string() } else { format!("{temp}") };
        signs.push(vec![temp_text, f2(balance), f2(change), f2(y)]);
    }
    let mixed = with_extras(73, 300, Kind::Regression, "y", &["size"], |rng, _, s| {
        let cell = match rng.below(20) {
            0 => "n/a".to_string(),
            1 => "large".to_string(),
            2 => "?".to_string(),
            3 => String::new(),
            4 => format!("{:.0} cm", s.x2),
            _ => f2(s.x2),
        };
        vec![cell]
    });
    vec![
        case("sentences", "a text column of sentences", reviews, "sentiment", Kind::Classification),
        case("negatives", "negative values and zeros (also '-0'), negative target", signs, "y", Kind::Regression),
        case("mixed_types", "numbers mixed with 'n/a', 'large', '?', '12 cm'", mixed, "y", Kind::Regression),
    ]
}

pub fn odd_headers() -> Vec<Case> {
    let mut rng = Rng::new(81);
    let header = [" x one ", "température (°C)", "x", "x", "", "weird,comma", "Sale Price ($)"];
    let mut t = Table::new(&header);
    for _ in 0..300 {
        let s = signal(&mut rng);
        t.push(vec![
            f2(s.x1),
            f2(s.x2),
            s.group.into(),
            f2(rng.normal()),
            rng.pick(&["a", "b"]).into(),
            f2(rng.uniform(-1.0, 1.0)),
            f2(s.y),
        ]);
    }
    let odd = case(
        "odd_headers",
        "header names with spaces, unicode, a comma, an empty name and a duplicate; BOM, CRLF",
        t,
        "Sale Price ($)",
        Kind::Regression,
    );
    vec![Case { flavour: Flavour::BomCrlf, ..odd }]
}

/// Everything at once, in a regression and a classification version.
pub fn kitchen_sinks() -> Vec<Case> {
    let extra =
        ["row id", "customer", "plan", "joined", "visit", "spent", "vip", "rare", "blank", "size", "comment", "delta"];
    let make = |rng: &mut Rng, i: usize, s: &Signal| {
        let d = day(rng);
        let agrees = rng.chance(0.85);
        vec![
            (5000 + i).to_string(),
            person(rng),
            "standard".into(),
            d.format("%Y-%m-%d").to_string(),
            d.format("%b %-d, %Y").to_string(),
            format!("${}", thousands(rng.uniform(0.0, 5000.0))),
            rng.pick(&["yes", "no"]).into(),
            if rng.chance(0.9) { String::new() } else { f2(rng.normal()) },
            String::new(),
            if rng.chance(0.1) { "n/a".into() } else { f2(s.x2) },
            sentence(rng, (s.label == "yes") == agrees),
            f2(-rng.uniform(0.0, 10.0)),
        ]
    };
    let sink = |seed, kind, target: &str| {
        let mut t = with_extras(seed, 300, kind, target, &extra, make);
        let mut rng = Rng::new(seed + 1);
        let last = t.header.len() - 1;
        for row in &mut t.rows {
            if rng.chance(0.05) {
                row[last] = String::new();
            }
        }
        let copies: Vec<Vec<String>> = t.rows.iter().step_by(20).cloned().collect();
        t.rows.extend(copies);
        t
    };
    vec![
        case(
            "kitchen_sink_reg",
            "all of the above at once",
            sink(91, Kind::Regression, "Total Value"),
            "Total Value",
            Kind::Regression,
        ),
        case(
            "kitchen_sink_cls",
            "all of the above at once",
            sink(93, Kind::Classification, "Will Renew?"),
            "Will Renew?",
            Kind::Classification,
        ),
    ]
}

/// A European spreadsheet (semicolons, decimal commas, dd.mm.yyyy), a money target, and a
/// target with a single class.
pub fn more_formats() -> Vec<Case> {
    let mut rng = Rng::new(101);
    let mut eu = Table::new(&["fläche_m2", "kaution", "stadt", "bezugsdatum", "miete"]);
    let mut homes = Table::new(&["sqft", "bedrooms", "neighbourhood", "listed", "price"]);
    for _ in 0..300 {
        let area = rng.uniform(25.0, 140.0);
        let city = rng.pick(&["Berlin", "München", "Köln", "Graz"]);
        let city_effect = match city {
            "München" => 300.0,
            "Berlin" => 100.0,
            _ => 0.0,
        };
        let rent = 9.0 * area + city_effect + 40.0 * rng.normal();
        let moved = day(&mut rng).format("%d.%m.%Y").to_string();
        eu.push(vec![european(area), european(rng.uniform(500.0, 5000.0)), city.into(), moved, european(rent)]);
        let sqft = rng.uniform(500.0, 4000.0).round();
        let bedrooms = 1 + rng.below(5);
        let hood = rng.pick(&["Riverside", "Old Town", "Hillcrest"]);
        let premium = if hood == "Old Town" { 80_000.0 } else { 0.0 };
        let price = 150.0 * sqft + 10_000.0 * bedrooms as f64 + premium + 30_000.0 * rng.normal();
        let listed = day(&mut rng).format("%b %-d, %Y").to_string();
        let sqft_text = thousands(sqft).trim_end_matches(".0").to_string();
        let price_text = format!("${}", thousands(price.round()).trim_end_matches(".0"));
        homes.push(vec![sqft_text, bedrooms.to_string(), hood.into(), listed, price_text]);
    }
    // A measurement in whole numbers that no two rows share (not an ID).
    let mut sizes: Vec<usize> = (500..4000).collect();
    rng.shuffle(&mut sizes);
    let mut plots = Table::new(&["plot_m2", "floors", "value"]);
    for &size in &sizes[..250] {
        let floors = 1 + rng.below(3);
        let value = 120.0 * size as f64 + 15_000.0 * floors as f64 + 25_000.0 * rng.normal();
        plots.push(vec![size.to_string(), floors.to_string(), format!("{value:.0}")]);
    }
    let mut single = with_extras(103, 200, Kind::Classification, "status", &[], |_, _, _| vec![]);
    for row in &mut single.rows {
        row[3] = "active".into();
    }
    let eu = Case {
        flavour: Flavour::Semicolon,
        ..floored(case("european", "semicolons, '1.234,5', dd.mm.yyyy, umlauts", eu, "miete", Kind::Regression), 0.9)
    };
    let homes = floored(
        case("money_target", "the target is money '$1,234,567'; '1,850' sqft", homes, "price", Kind::Regression),
        0.9,
    );
    let single = Case {
        compare: false,
        refusal: Refusal::Expected("only one class"),
        ..case("one_class", "a class target with one class only", single, "status", Kind::Classification)
    };
    let plots = floored(
        case("whole_numbers", "a measurement in distinct whole numbers (no ID)", plots, "value", Kind::Regression),
        0.9,
    );
    vec![eu, homes, plots, single]
}

/// Every case of the sweep.
pub fn all_cases() -> Vec<Case> {
    [
        id_and_names(),
        constants_and_dates(),
        numbers_as_text(),
        missing_cells(),
        odd_classes(),
        shapes(),
        text_and_signs(),
        odd_headers(),
        kitchen_sinks(),
        more_formats(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
