//! What the messy tables of the robustness sweep (`sweep.rs`, cases in `sweep_cases.rs`) are
//! made of, generated deterministically: a seeded generator, tables written as CSV in several
//! flavours, the case description, and the cells — a signal the target is really learned from
//! (so scores mean something), names, titles, IDs, dates, money, sentences.

use chrono::{Duration, NaiveDate};

/// Cairn's seeded SplitMix64 generator with the draws the tables need: the tables are the same
/// on every run and machine.
pub struct Rng(cairn::util::Rng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // `util::Rng::new` mixes the seed with this constant; undone, the stream starts at `seed`.
        Rng(cairn::util::Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// A table as text cells; `""` is a missing cell.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Table { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(row.len(), self.header.len(), "a generated row has the header's width");
        self.rows.push(row);
    }

    /// RFC 4180 text: a cell with a comma, a quote or a line break is quoted.
    pub fn csv(&self) -> String {
        self.delimited(',')
    }

    /// Text with `sep` between cells; a cell holding it, a quote or a line break is quoted.
    pub fn delimited(&self, sep: char) -> String {
        let line = |cells: &[String]| cells.iter().map(|c| quote(c, sep)).collect::<Vec<_>>().join(&sep.to_string());
        let mut out = line(&self.header);
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

fn quote(cell: &str, sep: char) -> String {
    if cell.contains([sep, '"', '\n', '\r']) { format!("\"{}\"", cell.replace('"', "\"\"")) } else { cell.to_string() }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Regression,
    Classification,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Regression => "regression",
            Kind::Classification => "classification",
        }
    }
}

/// One table of the sweep and what is expected of it.
pub struct Case {
    pub name: &'static str,
    /// The mess it holds, in words (for the summary).
    pub what: &'static str,
    pub table: Table,
    pub target: String,
    pub kind: Kind,
    /// Compared with scikit-learn's plain pipeline (enough test rows for a score to mean much).
    pub compare: bool,
    pub refusal: Refusal,
    /// How the file is written.
    pub flavour: Flavour,
    /// The best test score must reach this: the target is the messy column's number plus a
    /// little noise, so the score is high once the column is read for what it is (a number,
    /// a date) and near that of the other columns alone when it is not.
    pub floor: Option<f64>,
}

/// Whether a case may end in a refusal (one `error:` line) rather than a leaderboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The table has something to learn: a refusal is a failure.
    Never,
    /// Too small to learn from: a clean refusal is as good as a leaderboard.
    Allowed,
    /// Nothing to learn: the run must refuse, with an error containing these words.
    Expected(&'static str),
}

/// How a table is written as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// Comma-separated, `\n` line ends.
    Plain,
    /// A byte-order mark and `\r\n` line ends, as spreadsheet programs on Windows write.
    BomCrlf,
    /// Semicolon-separated, as spreadsheets in most of Europe write (decimal commas in cells).
    Semicolon,
}

impl Case {
    /// The file's text.
    pub fn text(&self) -> String {
        match self.flavour {
            Flavour::Plain => self.table.csv(),
            Flavour::BomCrlf => format!("\u{feff}{}", self.table.csv().replace('\n', "\r\n")),
            Flavour::Semicolon => self.table.delimited(';'),
        }
    }
}

/// The signal every table carries: two numbers and a group the target is learned from.
pub struct Signal {
    pub x1: f64,
    pub x2: f64,
    pub group: &'static str,
    /// The regression target.
    pub y: f64,
    /// The two-class target.
    pub label: &'static str,
}

pub fn signal(rng: &mut Rng) -> Signal {
    let x1 = 50.0 + 10.0 * rng.normal();
    let x2 = rng.uniform(0.0, 100.0);
    let group = rng.pick(&["north", "south", "east"]);
    let effect = match group {
        "north" => 6.0,
        "south" => -6.0,
        _ => 0.0,
    };
    let score = 0.8 * (x1 - 50.0) - 0.15 * (x2 - 50.0) + effect;
    let noisy = score + 2.0 * rng.normal();
    Signal { x1, x2, group, y: 100.0 + noisy, label: if noisy > 0.0 { "yes" } else { "no" } }
}

pub fn f2(x: f64) -> String {
    format!("{x:.2}")
}

/// `[x1, x2, group]` as cells.
pub fn cells(s: &Signal) -> Vec<String> {
    vec![f2(s.x1), f2(s.x2), s.group.to_string()]
}

/// The target cell of `kind`.
pub fn answer(s: &Signal, kind: Kind) -> String {
    match kind {
        Kind::Regression => f2(s.y),
        Kind::Classification => s.label.to_string(),
    }
}

/// A table of `n` rows: `extra` (name, cell maker) columns first, then x1, x2, group, target.
pub fn with_extras(
    seed: u64,
    n: usize,
    kind: Kind,
    target: &str,
    extra: &[&str],
    mut make: impl FnMut(&mut Rng, usize, &Signal) -> Vec<String>,
) -> Table {
    let mut rng = Rng::new(seed);
    let mut header: Vec<&str> = extra.to_vec();
    header.extend(["x1", "x2", "group", target]);
    let mut t = Table::new(&header);
    for i in 0..n {
        let s = signal(&mut rng);
        let mut row = make(&mut rng, i, &s);
        row.extend(cells(&s));
        row.push(answer(&s, kind));
        t.push(row);
    }
    t
}

pub fn case(name: &'static str, what: &'static str, table: Table, target: &str, kind: Kind) -> Case {
    Case {
        name,
        what,
        table,
        target: target.into(),
        kind,
        compare: true,
        refusal: Refusal::Never,
        flavour: Flavour::Plain,
        floor: None,
    }
}

/// `c` whose best test score must reach `floor`.
pub fn floored(c: Case, floor: f64) -> Case {
    Case { floor: Some(floor), ..c }
}

pub const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "Amélie",
    "José",
    "Chen",
    "Aisha",
    "Olga",
    "Kwame",
    "Sven",
    "Priya",
    "Mateo",
    "Yuki",
];
pub const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "García",
    "Miller",
    "Davis",
    "Müller",
    "Rodríguez",
    "Martin",
    "Lee",
    "O'Brien",
    "Nguyen",
    "van der Berg",
    "Kowalski",
    "Okafor",
    "Silva",
    "Dubois",
    "Tanaka",
];

pub fn person(rng: &mut Rng) -> String {
    let (first, last) = (rng.pick(FIRST), rng.pick(LAST));
    match rng.below(10) {
        0 => format!("{last}, {first}"),
        1 => format!("{first} {}. {last}", &rng.pick(LAST)[..1]),
        _ => format!("{first} {last}"),
    }
}

pub fn title(rng: &mut Rng) -> String {
    let adj = rng.pick(&["Silent", "Lost", "Golden", "Broken", "Hidden", "Last", "Crimson", "Quiet", "Wild"]);
    let noun = rng.pick(&["River", "Garden", "Empire", "Letter", "Winter", "Machine", "Harbour", "Song", "Door"]);
    let place = rng.pick(&["Night", "Avalon", "the North", "Tomorrow", "Glass", "Kings", "the Sea"]);
    match rng.below(3) {
        0 => format!("The {adj} {noun}"),
        1 => format!("The {adj} {noun} of {place}"),
        _ => format!("{noun}: A {adj} Story"),
    }
}

pub fn uuid(rng: &mut Rng) -> String {
    let h = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn day(rng: &mut Rng) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(2017, 1, 1).unwrap();
    start + Duration::days(rng.below(5 * 365) as i64)
}

/// "1,234.5": a thousands separator and one decimal.
pub fn thousands(x: f64) -> String {
    let neg = x < 0.0;
    let whole = x.abs().trunc() as u64;
    let tenth = ((x.abs() - x.abs().trunc()) * 10.0).round().min(9.0) as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{tenth}", if neg { "-" } else { "" })
}

pub const GOOD: &[&str] = &["great", "friendly", "fast", "delicious", "lovely", "excellent", "helpful"];
pub const BAD: &[&str] = &["slow", "rude", "cold", "awful", "noisy", "disappointing", "dirty"];

pub fn sentence(rng: &mut Rng, positive: bool) -> String {
    let subject = rng.pick(&["The waiter", "Our table", "The food", "The room", "Service", "The staff"]);
    let word = |rng: &mut Rng, good: bool| rng.pick(if good { GOOD } else { BAD });
    let first = word(rng, positive);
    // One word in five contradicts the label, so the text is a strong signal, not a perfect one.
    let contradicts = rng.chance(0.2);
    let second = word(rng, positive != contradicts);
    let end = rng.pick(&["we will be back.", "see you soon!", "nothing more to say.", "as usual."]);
    format!("{subject} was {first} and quite {second}, {end}")
}

/// "1.234,5": thousands grouped by dots, a decimal comma.
pub fn european(x: f64) -> String {
    thousands(x).replace(',', "_").replace('.', ",").replace('_', ".")
}
