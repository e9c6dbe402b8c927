//! Arithmetic expressions over the source's sizes (`iw_div_2`, `ih_mul_0.5_add_10`):
//! variables, operators, parsing, evaluation with documented precedence, and display.
//!
//! Owns: [`Expr`], [`ExprToken`], [`Var`], [`BinOp`]. Pure; imports `error` only.

use crate::error::{Error, Result};

/// Variables of arithmetic expressions (spec §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// Input width.
    Iw,
    /// Input height.
    Ih,
    /// Input aspect ratio.
    Iar,
    /// Current width (after the previous step).
    Cw,
    /// Current height.
    Ch,
    /// Current aspect ratio.
    Car,
    /// Base (parent) width, inside layers.
    Bw,
    /// Base height.
    Bh,
    /// Base aspect ratio.
    Bar,
    /// Input duration (video).
    Idu,
    /// Base duration (video layers).
    Bdu,
}

impl Var {
    /// The spelling in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Var::Iw => "iw",
            Var::Ih => "ih",
            Var::Iar => "iar",
            Var::Cw => "cw",
            Var::Ch => "ch",
            Var::Car => "car",
            Var::Bw => "bw",
            Var::Bh => "bh",
            Var::Bar => "bar",
            Var::Idu => "idu",
            Var::Bdu => "bdu",
        }
    }

    /// Parse a variable name.
    pub fn parse(s: &str) -> Option<Var> {
        Some(match s {
            "iw" => Var::Iw,
            "ih" => Var::Ih,
            "iar" => Var::Iar,
            "cw" => Var::Cw,
            "ch" => Var::Ch,
            "car" => Var::Car,
            "bw" => Var::Bw,
            "bh" => Var::Bh,
            "bar" => Var::Bar,
            "idu" => Var::Idu,
            "bdu" => Var::Bdu,
            _ => return None,
        })
    }
}

/// Binary operators of expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
    /// `pow`
    Pow,
}

impl BinOp {
    /// The spelling in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::Div => "div",
            BinOp::Mod => "mod",
            BinOp::Pow => "pow",
        }
    }

    /// Parse an operator name.
    pub fn parse(s: &str) -> Option<BinOp> {
        Some(match s {
            "add" => BinOp::Add,
            "sub" => BinOp::Sub,
            "mul" => BinOp::Mul,
            "div" => BinOp::Div,
            "mod" => BinOp::Mod,
            "pow" => BinOp::Pow,
            _ => return None,
        })
    }
}

/// One operand of an expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExprToken {
    /// A variable.
    Var(Var),
    /// A non-negative number.
    Num(f64),
}

/// An arithmetic expression: `first (op operand)*`, evaluated with the documented precedence
/// (mul/div, then add/sub, then mod, then pow; each left to right).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// First operand.
    pub first: ExprToken,
    /// Further `(operator, operand)` pairs in URL order.
    pub rest: Vec<(BinOp, ExprToken)>,
}

impl Expr {
    /// Parse `iw_div_2`-style text. `key` names the parameter for errors.
    pub fn parse(key: &str, text: &str) -> Result<Expr> {
        let bad = |why: &str| Error::invalid(key, text, why);
        let mut parts = text.split('_');
        let operand = |p: Option<&str>| -> Result<ExprToken> {
            let p = p.ok_or_else(|| bad("expression ends with an operator"))?;
            if let Some(v) = Var::parse(p) {
                return Ok(ExprToken::Var(v));
            }
            let is_number = !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && p.bytes().filter(|&b| b == b'.').count() <= 1
                && !p.starts_with('.')
                && !p.ends_with('.');
            match p.parse::<f64>() {
                Ok(n) if is_number && n.is_finite() => Ok(ExprToken::Num(n)),
                _ => Err(bad("unknown variable or number in expression")),
            }
        };
        let first = operand(parts.next())?;
        let mut rest = Vec::new();
        while let Some(op) = parts.next() {
            let op = BinOp::parse(op).ok_or_else(|| bad("unknown operator in expression"))?;
            rest.push((op, operand(parts.next())?));
        }
        Ok(Expr { first, rest })
    }

    /// True when the expression mentions no variable.
    pub fn is_constant(&self) -> bool {
        !matches!(self.first, ExprToken::Var(_)) && self.rest.iter().all(|(_, t)| !matches!(t, ExprToken::Var(_)))
    }

    /// Evaluate with `lookup` giving each variable's value. `key` names the parameter for
    /// errors (division by zero, non-finite results).
    pub fn eval(&self, key: &str, lookup: impl Fn(Var) -> Option<f64>) -> Result<f64> {
        let value = |t: ExprToken| -> Result<f64> {
            match t {
                ExprToken::Num(n) => Ok(n),
                ExprToken::Var(v) => lookup(v).ok_or_else(|| {
                    Error::invalid(
                        key,
                        self.to_string(),
                        format_args!("variable '{}' is not available here", v.as_str()),
                    )
                }),
            }
        };
        // Precedence levels, tightest first, as the ImageKit documentation lists them.
        let levels: [&[BinOp]; 4] =
            [&[BinOp::Mul, BinOp::Div], &[BinOp::Add, BinOp::Sub], &[BinOp::Mod], &[BinOp::Pow]];
        let mut vals = vec![value(self.first)?];
        let mut ops = Vec::with_capacity(self.rest.len());
        for &(op, t) in &self.rest {
            ops.push(op);
            vals.push(value(t)?);
        }
        for level in levels {
            let mut i = 0;
            while i < ops.len() {
                if level.contains(&ops[i]) {
                    let (a, b) = (vals[i], vals[i + 1]);
                    let r = match ops[i] {
                        BinOp::Add => a + b,
                        BinOp::Sub => a - b,
                        BinOp::Mul => a * b,
                        BinOp::Div | BinOp::Mod if b == 0.0 => {
                            return Err(Error::invalid(key, self.to_string(), "division by zero"));
                        }
                        BinOp::Div => a / b,
                        BinOp::Mod => a % b,
                        BinOp::Pow => a.powf(b),
                    };
                    vals[i] = r;
                    vals.remove(i + 1);
                    ops.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        let r = vals[0];
        if !r.is_finite() {
            return Err(Error::invalid(key, self.to_string(), "expression result is not finite"));
        }
        Ok(r)
    }
}

impl std::fmt::Display for ExprToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExprToken::Var(v) => f.write_str(v.as_str()),
            ExprToken::Num(n) => write!(f, "{n}"),
        }
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first)?;
        for (op, t) in &self.rest {
            write!(f, "_{}_{}", op.as_str(), t)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str) -> f64 {
        Expr::parse("w", s)
            .unwrap()
            .eval("w", |v| match v {
                Var::Iw => Some(640.0),
                Var::Ih => Some(865.0),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn expressions_follow_documented_precedence() {
        assert_eq!(eval("iw_div_2"), 320.0);
        assert_eq!(eval("iw_add_10_mul_2"), 660.0);
        assert_eq!(eval("10_add_20_mod_7"), 2.0);
        assert_eq!(eval("2_add_1_pow_2"), 9.0);
    }

    #[test]
    fn expression_errors_name_the_key() {
        assert!(Expr::parse("w", "iw_div").is_err());
        assert!(Expr::parse("w", "zz_div_2").is_err());
        let e = Expr::parse("h", "ih_div_0").unwrap().eval("h", |_| Some(1.0)).unwrap_err();
        assert_eq!(e.key(), Some("h"));
    }

    #[test]
    fn expression_round_trips() {
        for s in ["iw_div_2", "ih_mul_0.4", "bw_mul_0.25_add_10", "iw"] {
            assert_eq!(Expr::parse("w", s).unwrap().to_string(), s);
        }
    }
}
