//! Derived-column expressions: numbers, column names, `+ - * /`, `^`, parentheses and the
//! functions `log`, `sqrt`, `abs`, `exp`, `min`, `max`. A column name with spaces or symbols is
//! written in backticks (`` `total rooms` ``). A missing cell, or a result that is not a finite
//! number (division by zero, log of a negative), gives a missing value.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    Number(f64),
    Column(String),
    Neg(Box<Expr>),
    Binary(char, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

const FUNCTIONS: &[(&str, usize)] = &[("log", 1), ("sqrt", 1), ("abs", 1), ("exp", 1), ("min", 2), ("max", 2)];

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("expression '{expression}', at character {at}: {message}")]
pub struct ExprError {
    pub expression: String,
    pub at: usize,
    pub message: String,
}

impl Expr {
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let mut p = Parser { text, chars: text.char_indices().collect(), pos: 0 };
        let e = p.sum()?;
        p.skip_space();
        if p.pos < p.chars.len() {
            return Err(p.error(format!("unexpected '{}'", p.chars[p.pos].1)));
        }
        Ok(e)
    }

    /// The column names the expression reads.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column(c) = e
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        });
        out
    }

    fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(a) => a.visit(f),
            Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit(f)),
            Expr::Number(_) | Expr::Column(_) => {}
        }
    }

    /// The value for one row; `cell(name)` gives a column's value (None when missing).
    pub fn eval(&self, cell: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        let v = match self {
            Expr::Number(x) => *x,
            Expr::Column(c) => cell(c)?,
            Expr::Neg(a) => -a.eval(cell)?,
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(cell)?, b.eval(cell)?);
                match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    '/' => a / b,
                    _ => a.powf(b),
                }
            }
            Expr::Call(f, args) => {
                let a = args.first()?.eval(cell)?;
                match f.as_str() {
                    "log" => a.ln(),
                    "sqrt" => a.sqrt(),
                    "abs" => a.abs(),
                    "exp" => a.exp(),
                    "min" => a.min(args.get(1)?.eval(cell)?),
                    _ => a.max(args.get(1)?.eval(cell)?),
                }
            }
        };
        v.is_finite().then_some(v)
    }
}

struct Parser<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: String) -> ExprError {
        ExprError { expression: self.text.to_string(), at: self.pos + 1, message }
    }

    fn skip_space(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].1.is_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.pos).map(|c| c.1)
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        self.left_assoc(&['+', '-'], Self::product)
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        self.left_assoc(&['*', '/'], Self::unary)
    }

    /// `next (op next)*` for the operators `ops`, grouped from the left.
    fn left_assoc(&mut self, ops: &[char], next: fn(&mut Self) -> Result<Expr, ExprError>) -> Result<Expr, ExprError> {
        let mut e = next(self)?;
        while let Some(op) = self.peek().filter(|c| ops.contains(c)) {
            self.pos += 1;
            e = Expr::Binary(op, Box::new(e), Box::new(next(self)?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == Some('-') {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let base = self.atom()?;
        if self.peek() == Some('^') {
            self.pos += 1;
            return Ok(Expr::Binary('^', Box::new(base), Box::new(self.unary()?)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            None => Err(self.error("the expression ends too early".into())),
            Some('(') => {
                self.pos += 1;
                let e = self.sum()?;
                if self.peek() != Some(')') {
                    return Err(self.error("missing ')'".into()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some('`') => {
                let start = self.pos + 1;
                let end = (start..self.chars.len())
                    .find(|&i| self.chars[i].1 == '`')
                    .ok_or_else(|| self.error("missing closing backtick".into()))?;
                let name: String = self.chars[start..end].iter().map(|c| c.1).collect();
                self.pos = end + 1;
                Ok(Expr::Column(name))
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.pos;
                while self.pos < self.chars.len()
                    && (self.chars[self.pos].1.is_ascii_digit()
                        || self.chars[self.pos].1 == '.'
                        || (matches!(self.chars[self.pos].1, 'e' | 'E')
                            && self.chars.get(self.pos + 1).is_some_and(|c| c.1.is_ascii_digit() || c.1 == '-')))
                {
                    if matches!(self.chars[self.pos].1, 'e' | 'E') {
                        self.pos += 1;
                    }
                    self.pos += 1;
                }
                let s: String = self.chars[start..self.pos].iter().map(|c| c.1).collect();
                s.parse().map(Expr::Number).map_err(|_| ExprError {
                    expression: self.text.to_string(),
                    at: start + 1,
                    message: format!("'{s}' is not a number"),
                })
            }
            Some(c) if c.is_alphanumeric() || c == '_' => {
                let start = self.pos;
                while self.pos < self.chars.len()
                    && (self.chars[self.pos].1.is_alphanumeric() || self.chars[self.pos].1 == '_')
                {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().map(|c| c.1).collect();
                if self.peek() != Some('(') {
                    return Ok(Expr::Column(name));
                }
                let Some(&(_, arity)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
                    return Err(self.error(format!(
                        "unknown function '{name}' (known: {})",
                        FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                    )));
                };
                self.pos += 1;
                let mut args = vec![self.sum()?];
                while self.peek() == Some(',') {
                    self.pos += 1;
                    args.push(self.sum()?);
                }
                if self.peek() != Some(')') {
                    return Err(self.error("missing ')'".into()));
                }
                self.pos += 1;
                if args.len() != arity {
                    return Err(self.error(format!("{name} takes {arity} value(s), got {}", args.len())));
                }
                Ok(Expr::Call(name, args))
            }
            Some(c) => Err(self.error(format!("unexpected '{c}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, x: Option<f64>) -> Option<f64> {
        Expr::parse(text).unwrap().eval(&|c| if c == "x" || c == "total rooms" { x } else { Some(2.0) })
    }

    #[test]
    fn precedence_functions_and_missing() {
        assert_eq!(eval("1 + 2 * 3", None), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3 - -1", None), Some(10.0));
        assert_eq!(eval("2 ^ 3 ^ 2", None), Some(512.0));
        assert_eq!(eval("x / y", Some(3.0)), Some(1.5));
        assert_eq!(eval("`total rooms` / households", Some(8.0)), Some(4.0));
        assert_eq!(eval("max(x, 5) + log(1)", Some(3.0)), Some(5.0));
        assert_eq!(eval("x / 0", Some(3.0)), None);
        assert_eq!(eval("x + 1", None), None);
        assert_eq!(eval("1.5e2", None), Some(150.0));
        assert_eq!(Expr::parse("rooms / households + rooms").unwrap().columns(), vec!["rooms", "households"]);
        for bad in ["", "1 +", "(1", "foo(1)", "max(1)", "1 $ 2", "`x"] {
            let e = Expr::parse(bad).unwrap_err();
            assert!(e.to_string().contains("at character"), "{e}");
        }
    }
}
