//! Parsing of quantity expressions as they are printed in Chinese government
//! education reports.
//!
//! This module owns one job: turning the text of a single printed figure
//! (`"20余万"`, `"不低于4"`, `"1：13.5"`, `"下降了75"`, `"三分之一"`) into a
//! [`Quantity`]: a number, a [`Qualifier`] saying how exact the report claims
//! it is, and the numeral tokens as they were written. It knows nothing about
//! units beyond the Chinese magnitude words (万, 亿, ...) and the percent sign,
//! and nothing about the sentence the figure came from.
//!
//! # Grammar
//!
//! Whitespace around the expression and between its parts is ignored.
//!
//! ```text
//! quantity   = prefix* body suffix*
//! prefix     = qualifier-word | direction-word ["了"]
//! body       = [sign] "百分之" number [count]            (percent: value is the number)
//!            | number (":" | "：") number               (ratio a:b, value b/a)
//!            | number "分之" number                     (fraction, e.g. 三分之一 = 1/3)
//!            | [sign] number [count] [magnitude] [count] ["%" | "％"]
//!                                                       (余/多 at most once; % only without magnitude)
//! number     = arabic | chinese
//! arabic     = digits with optional thousands separators ("," or "，", groups of
//!              three) and at most one decimal point ("." or "．"); ASCII or
//!              full-width digits
//! chinese    = a run of 零〇一二两三四五六七八九十百千万亿, optionally followed by
//!              "点" and digits (三点五); digits without units are read
//!              positionally (二〇二三), and the colloquial abbreviation
//!              一万二 = 12000 is understood
//! magnitude  = ["百" | "千"] ["万"] ["亿"]                 (1.2万, 3千万, 1.5万亿)
//! count      = "余" (approximate) | "多" (more than)
//! suffix     = 以上 | 以下 | 以内 | 左右 | 上下
//! sign       = "-" | "−" | "－" | "+" | "＋"
//! ```
//!
//! Qualifier words: approximate (约, 大约, 近, 将近, 接近, 余, 左右, 上下),
//! more than (超过, 超, 逾, 多于, 高于, 大于, `>`, 多, 以上), at least (不低于,
//! 不少于, 不小于, 至少, `≥`, `>=`), less than (不足, 不到, 低于, 少于, 小于,
//! `<`), at most (不超过, 不高于, 不多于, 不大于, 至多, 最多, `≤`, `<=`, 以下,
//! 以内). Direction words (下降, 减少, 降低, 下滑, 回落, 减 / 增长, 增加, 提高,
//! 上升, 提升, 增) describe a reported change: a decrease makes the value
//! negative, an increase leaves it positive. Repeating the same qualifier is
//! harmless; two different qualifiers are rejected rather than guessed between.
//!
//! # Why numerals are kept as written
//!
//! Every stored figure is backed by a quoted sentence from the report, and the
//! ingest pipeline checks that the figure really occurs in that quote. That
//! check has to be made against the text the report printed (`"1,234"`,
//! `"１２"`, `"四十"`), not against a re-rendering of the parsed value, which
//! would never match a full-width digit, a thousands separator or a Chinese
//! numeral. Signs, qualifiers and magnitude words are left out of the tokens
//! because the quote may phrase them differently (`"下降94.72"` for
//! `"-94.72"`).

pub use crate::domain::Qualifier;

/// A parsed quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// The number, before any unit conversion; a ratio a:b gives b/a.
    pub value: f64,
    /// How the report qualified the number.
    pub qualifier: Qualifier,
    /// The numeral tokens exactly as written in the input ("20", "98.5",
    /// "四", "1,234"), used to check that the figure occurs in its quoted
    /// sentence.
    pub numerals: Vec<String>,
    /// True for a:b forms.
    pub is_ratio: bool,
}

/// Why a quantity expression could not be parsed. Every variant names the
/// offending input so the message can be shown to a curator as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantityError {
    /// The input was empty or only whitespace.
    #[error("quantity is empty")]
    Empty,
    /// The input contains no digit or Chinese numeral at all (若干, 大量).
    #[error("quantity {0:?} contains no number")]
    NoNumber(String),
    /// The input contains a numeral but is not shaped like a quantity, e.g.
    /// unknown words before the number.
    #[error(
        "quantity {0:?} is not a recognised quantity expression \
         (expected [qualifier] number [万/亿] [qualifier])"
    )]
    Unparsable(String),
    /// A number was read, but unrecognised text follows it (12abc).
    #[error("quantity {input:?} has unexpected text {rest:?} after the number")]
    TrailingText {
        /// The whole input.
        input: String,
        /// The unparsed remainder.
        rest: String,
    },
    /// A numeral token is malformed (1.2.3, 12,34, 二二).
    #[error("quantity {input:?} has a malformed numeral {numeral:?}: {reason}")]
    InvalidNumeral {
        /// The whole input.
        input: String,
        /// The numeral token as written.
        numeral: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A ratio with a zero left side or a fraction with a zero denominator.
    #[error("quantity {0:?} divides by zero (zero left side of a ratio or zero denominator)")]
    ZeroDenominator(String),
    /// Two different qualifiers were given (约20以上).
    #[error("quantity {input:?} carries conflicting qualifiers {first} and {second}")]
    ConflictingQualifiers {
        /// The whole input.
        input: String,
        /// The qualifier met first.
        first: Qualifier,
        /// The qualifier that contradicts it.
        second: Qualifier,
    },
    /// Both an explicit sign and a direction word (下降-3), or two direction
    /// words, so the sign of the value is ambiguous.
    #[error("quantity {0:?} has an ambiguous sign (explicit sign together with a direction word, or two direction words)")]
    ConflictingSign(String),
    /// A recognised form that is deliberately not accepted.
    #[error("quantity {input:?} is not supported: {reason}")]
    Unsupported {
        /// The whole input.
        input: String,
        /// Why the form is refused.
        reason: &'static str,
    },
}

/// Parses one printed quantity expression; see the module documentation for
/// the accepted grammar.
pub fn parse_quantity(text: &str) -> Result<Quantity, QuantityError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(QuantityError::Empty);
    }
    if !trimmed
        .chars()
        .any(|c| arabic_digit(c).is_some() || is_cn_numeral(c))
    {
        return Err(QuantityError::NoNumber(trimmed.to_owned()));
    }
    Parser::new(trimmed).run()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

#[derive(Debug, Clone, Copy)]
enum Prefix {
    Qual(Qualifier),
    Dir(Direction),
}

const PREFIXES: &[(&str, Prefix)] = &[
    ("约", Prefix::Qual(Qualifier::Approximate)),
    ("大约", Prefix::Qual(Qualifier::Approximate)),
    ("近", Prefix::Qual(Qualifier::Approximate)),
    ("将近", Prefix::Qual(Qualifier::Approximate)),
    ("接近", Prefix::Qual(Qualifier::Approximate)),
    ("突破", Prefix::Qual(Qualifier::MoreThan)),
    ("超过", Prefix::Qual(Qualifier::MoreThan)),
    ("超", Prefix::Qual(Qualifier::MoreThan)),
    ("逾", Prefix::Qual(Qualifier::MoreThan)),
    ("多于", Prefix::Qual(Qualifier::MoreThan)),
    ("高于", Prefix::Qual(Qualifier::MoreThan)),
    ("大于", Prefix::Qual(Qualifier::MoreThan)),
    (">", Prefix::Qual(Qualifier::MoreThan)),
    ("＞", Prefix::Qual(Qualifier::MoreThan)),
    ("不低于", Prefix::Qual(Qualifier::AtLeast)),
    ("不少于", Prefix::Qual(Qualifier::AtLeast)),
    ("不小于", Prefix::Qual(Qualifier::AtLeast)),
    ("至少", Prefix::Qual(Qualifier::AtLeast)),
    ("≥", Prefix::Qual(Qualifier::AtLeast)),
    ("⩾", Prefix::Qual(Qualifier::AtLeast)),
    (">=", Prefix::Qual(Qualifier::AtLeast)),
    ("＞＝", Prefix::Qual(Qualifier::AtLeast)),
    ("不足", Prefix::Qual(Qualifier::LessThan)),
    ("不到", Prefix::Qual(Qualifier::LessThan)),
    ("低于", Prefix::Qual(Qualifier::LessThan)),
    ("少于", Prefix::Qual(Qualifier::LessThan)),
    ("小于", Prefix::Qual(Qualifier::LessThan)),
    ("<", Prefix::Qual(Qualifier::LessThan)),
    ("＜", Prefix::Qual(Qualifier::LessThan)),
    ("不超过", Prefix::Qual(Qualifier::AtMost)),
    ("不高于", Prefix::Qual(Qualifier::AtMost)),
    ("不多于", Prefix::Qual(Qualifier::AtMost)),
    ("不大于", Prefix::Qual(Qualifier::AtMost)),
    ("至多", Prefix::Qual(Qualifier::AtMost)),
    ("最多", Prefix::Qual(Qualifier::AtMost)),
    ("≤", Prefix::Qual(Qualifier::AtMost)),
    ("⩽", Prefix::Qual(Qualifier::AtMost)),
    ("<=", Prefix::Qual(Qualifier::AtMost)),
    ("＜＝", Prefix::Qual(Qualifier::AtMost)),
    ("下降", Prefix::Dir(Direction::Down)),
    ("减少", Prefix::Dir(Direction::Down)),
    ("降低", Prefix::Dir(Direction::Down)),
    ("下滑", Prefix::Dir(Direction::Down)),
    ("回落", Prefix::Dir(Direction::Down)),
    ("减", Prefix::Dir(Direction::Down)),
    ("增长", Prefix::Dir(Direction::Up)),
    ("增加", Prefix::Dir(Direction::Up)),
    ("提高", Prefix::Dir(Direction::Up)),
    ("上升", Prefix::Dir(Direction::Up)),
    ("提升", Prefix::Dir(Direction::Up)),
    ("增", Prefix::Dir(Direction::Up)),
];

const SUFFIXES: &[(&str, Qualifier)] = &[
    ("以上", Qualifier::MoreThan),
    ("以下", Qualifier::AtMost),
    ("以内", Qualifier::AtMost),
    ("左右", Qualifier::Approximate),
    ("上下", Qualifier::Approximate),
];

/// Which shape the body took; decides which trailing marks are legal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Plain { magnified: bool },
    Percent,
    Ratio,
    Fraction,
}

/// A numeral read from the input: its value and its text as written.
struct Numeral {
    value: f64,
    text: String,
}

struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
    qualifier: Option<Qualifier>,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Self {
        Parser {
            input,
            chars: input.chars().collect(),
            pos: 0,
            qualifier: None,
        }
    }

    fn run(mut self) -> Result<Quantity, QuantityError> {
        let direction = self.prefixes()?;
        self.skip_ws();
        let sign = self.sign();
        if sign.is_some() && direction.is_some() {
            return Err(QuantityError::ConflictingSign(self.input.to_owned()));
        }

        let (mut value, numerals, body) = self.body()?;

        if body == (Body::Plain { magnified: false }) {
            // A percent sign is the unit 百分之 expresses; the value stays in
            // percent points, matching 百分之五十 → 50.
            let _percent = self.eat("%") || self.eat("％");
        }
        self.suffixes()?;
        if self.pos < self.chars.len() {
            return Err(QuantityError::TrailingText {
                input: self.input.to_owned(),
                rest: self.rest(),
            });
        }

        if body == Body::Ratio && (sign.is_some() || direction.is_some()) {
            return Err(QuantityError::Unsupported {
                input: self.input.to_owned(),
                reason: "a ratio cannot carry a sign or a direction word",
            });
        }
        let negative = matches!(sign, Some('-' | '−' | '－')) || direction == Some(Direction::Down);
        // Avoid storing -0.0, which would print as "-0" downstream.
        if negative && value != 0.0 {
            value = -value;
        }

        Ok(Quantity {
            value,
            qualifier: self.qualifier.unwrap_or(Qualifier::Exact),
            numerals,
            is_ratio: body == Body::Ratio,
        })
    }

    /// Consumes qualifier and direction words before the number, in any order.
    fn prefixes(&mut self) -> Result<Option<Direction>, QuantityError> {
        let mut direction = None;
        loop {
            self.skip_ws();
            // Longest match first, so 不超过 is not read as 不 + 超过 and 超过 not as 超.
            let best = PREFIXES
                .iter()
                .filter(|(word, _)| self.starts_with(word))
                .max_by_key(|(word, _)| word.chars().count());
            let Some(&(word, prefix)) = best else {
                return Ok(direction);
            };
            self.pos += word.chars().count();
            match prefix {
                Prefix::Qual(q) => self.qualify(q)?,
                Prefix::Dir(d) => {
                    if direction.is_some() {
                        return Err(QuantityError::ConflictingSign(self.input.to_owned()));
                    }
                    direction = Some(d);
                    self.skip_ws();
                    self.eat("了");
                }
            }
        }
    }

    fn suffixes(&mut self) -> Result<(), QuantityError> {
        loop {
            self.skip_ws();
            let Some(&(word, q)) = SUFFIXES.iter().find(|(word, _)| self.starts_with(word)) else {
                return Ok(());
            };
            self.pos += word.chars().count();
            self.qualify(q)?;
        }
    }

    fn qualify(&mut self, q: Qualifier) -> Result<(), QuantityError> {
        match self.qualifier {
            None => {
                self.qualifier = Some(q);
                Ok(())
            }
            Some(first) if first == q => Ok(()),
            Some(first) => Err(QuantityError::ConflictingQualifiers {
                input: self.input.to_owned(),
                first,
                second: q,
            }),
        }
    }

    fn sign(&mut self) -> Option<char> {
        let c = self.peek()?;
        if matches!(c, '-' | '−' | '－' | '+' | '＋') {
            self.pos += 1;
            Some(c)
        } else {
            None
        }
    }

    /// 余 / 多 directly after a number or magnitude word.
    fn count_word(&mut self) -> Result<bool, QuantityError> {
        let q = match self.peek() {
            Some('余') => Qualifier::Approximate,
            Some('多') => Qualifier::MoreThan,
            _ => return Ok(false),
        };
        self.pos += 1;
        self.qualify(q)?;
        Ok(true)
    }

    fn body(&mut self) -> Result<(f64, Vec<String>, Body), QuantityError> {
        if self.eat("百分之") {
            let n = self.require_numeral()?;
            self.count_word()?;
            return Ok((n.value, vec![n.text], Body::Percent));
        }
        if self.starts_with("千分之") {
            return Err(QuantityError::Unsupported {
                input: self.input.to_owned(),
                reason: "per-mille (千分之) figures have no unit to carry them; \
                         restate the figure as a percentage",
            });
        }

        let first = self.require_numeral()?;

        let save = self.pos;
        self.skip_ws();
        if self.eat(":") || self.eat("：") {
            self.skip_ws();
            let second = self.require_numeral()?;
            if first.value == 0.0 {
                return Err(QuantityError::ZeroDenominator(self.input.to_owned()));
            }
            let value = second.value / first.value;
            return Ok((value, vec![first.text, second.text], Body::Ratio));
        }
        self.pos = save;

        if self.eat("分之") {
            let second = self.require_numeral()?;
            if first.value == 0.0 {
                return Err(QuantityError::ZeroDenominator(self.input.to_owned()));
            }
            let value = second.value / first.value;
            return Ok((value, vec![first.text, second.text], Body::Fraction));
        }

        // 余/多 may sit before the magnitude (20余万) or after it (1万余), not both.
        let counted = self.count_word()?;
        let factor = self.magnitude();
        if !counted {
            self.count_word()?;
        }
        let value = first.value * factor.unwrap_or(1.0);
        if !value.is_finite() {
            return Err(self.invalid(&first.text, "number is too large"));
        }
        Ok((
            value,
            vec![first.text],
            Body::Plain {
                magnified: factor.is_some(),
            },
        ))
    }

    /// Magnitude words after a number: [百|千] [万] [亿].
    fn magnitude(&mut self) -> Option<f64> {
        let mut factor = None;
        let mut take = |p: &mut Self, c: char, f: f64| {
            if p.peek() == Some(c) {
                p.pos += 1;
                factor = Some(factor.unwrap_or(1.0) * f);
            }
        };
        if self.peek() == Some('百') {
            take(self, '百', 1e2);
        } else {
            take(self, '千', 1e3);
        }
        take(self, '万', 1e4);
        take(self, '亿', 1e8);
        factor
    }

    fn require_numeral(&mut self) -> Result<Numeral, QuantityError> {
        match self.peek() {
            Some(c) if arabic_digit(c).is_some() => self.arabic(),
            Some(c) if is_cn_numeral(c) => self.chinese(),
            _ => Err(QuantityError::Unparsable(self.input.to_owned())),
        }
    }

    fn arabic(&mut self) -> Result<Numeral, QuantityError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let joins_digits = (is_group_sep(c) || is_point(c))
                && self.peek_at(1).and_then(arabic_digit).is_some();
            if arabic_digit(c).is_some() || joins_digits {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = self.slice(start, self.pos);

        let mut normalized = String::new();
        let mut seen_point = false;
        let mut groups: Vec<usize> = vec![0];
        for c in text.chars() {
            if let Some(d) = arabic_digit(c) {
                normalized.push(d);
                if !seen_point {
                    if let Some(last) = groups.last_mut() {
                        *last += 1;
                    }
                }
            } else if is_point(c) {
                if seen_point {
                    return Err(self.invalid(&text, "more than one decimal point"));
                }
                seen_point = true;
                normalized.push('.');
            } else {
                if seen_point {
                    return Err(self.invalid(&text, "thousands separator after the decimal point"));
                }
                groups.push(0);
            }
        }
        if groups.len() > 1 {
            let bad_first = groups.first().is_some_and(|&g| g > 3);
            let bad_rest = groups.iter().skip(1).any(|&g| g != 3);
            if bad_first || bad_rest {
                return Err(self.invalid(
                    &text,
                    "thousands separators must split the digits into groups of three",
                ));
            }
        }
        match normalized.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Numeral { value, text }),
            _ => Err(self.invalid(&text, "not a finite number")),
        }
    }

    fn chinese(&mut self) -> Result<Numeral, QuantityError> {
        let start = self.pos;
        while self.peek().is_some_and(is_cn_numeral) {
            self.pos += 1;
        }
        let run: Vec<char> = self.chars.get(start..self.pos).unwrap_or_default().to_vec();
        let mut value = match cn_integer(&run) {
            Ok(v) => v,
            Err(reason) => return Err(self.invalid(&self.slice(start, self.pos), reason)),
        };
        if self.peek() == Some('点') && self.peek_at(1).and_then(cn_digit).is_some() {
            self.pos += 1;
            // Rebuild the decimal as text and let the float parser round it
            // once, so 零点一二 is exactly 0.12 rather than 0.1 + 0.02.
            let mut decimal = format!("{value}.");
            while let Some(d) = self.peek().and_then(cn_digit) {
                decimal.push_str(&d.to_string());
                self.pos += 1;
            }
            value = match decimal.parse::<f64>() {
                Ok(v) => v,
                Err(_) => {
                    return Err(self.invalid(&self.slice(start, self.pos), "not a finite number"))
                }
            };
        }
        Ok(Numeral {
            value,
            text: self.slice(start, self.pos),
        })
    }

    fn invalid(&self, numeral: &str, reason: &'static str) -> QuantityError {
        QuantityError::InvalidNumeral {
            input: self.input.to_owned(),
            numeral: numeral.to_owned(),
            reason,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn starts_with(&self, word: &str) -> bool {
        word.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.starts_with(word) {
            self.pos += word.chars().count();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize, end: usize) -> String {
        self.chars
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .collect()
    }

    fn rest(&self) -> String {
        self.slice(self.pos, self.chars.len())
    }
}

/// ASCII or full-width digit, normalised to ASCII.
fn arabic_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
        _ => None,
    }
}

fn is_group_sep(c: char) -> bool {
    matches!(c, ',' | '，')
}

fn is_point(c: char) -> bool {
    matches!(c, '.' | '．')
}

fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn cn_small_unit(c: char) -> Option<f64> {
    match c {
        '十' => Some(10.0),
        '百' => Some(100.0),
        '千' => Some(1000.0),
        _ => None,
    }
}

fn is_cn_numeral(c: char) -> bool {
    cn_digit(c).is_some() || cn_small_unit(c).is_some() || matches!(c, '万' | '亿')
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    Start,
    Digit,
    Zero,
    Unit(f64),
}

/// Value of a run of Chinese numeral characters.
fn cn_integer(run: &[char]) -> Result<f64, &'static str> {
    // Unit-less runs (二〇二三) are read digit by digit, the way years and
    // codes are printed.
    if run.iter().all(|&c| cn_digit(c).is_some()) {
        return Ok(run
            .iter()
            .filter_map(|&c| cn_digit(c))
            .fold(0.0, |acc, d| acc * 10.0 + f64::from(d)));
    }

    let mut total = 0.0_f64;
    let mut section = 0.0_f64;
    let mut pending: Option<u32> = None;
    let mut before_pending = Token::Start;
    let mut last = Token::Start;
    let mut last_small: Option<f64> = None;
    let mut wan_in_segment = false;
    let mut seen_yi = false;

    for &c in run {
        if let Some(d) = cn_digit(c) {
            if pending.is_some() {
                return Err("two digits in a row without a unit between them");
            }
            if d == 0 {
                if matches!(last, Token::Start | Token::Zero) {
                    return Err("零 must follow a unit");
                }
                last = Token::Zero;
            } else {
                pending = Some(d);
                before_pending = last;
                last = Token::Digit;
            }
        } else if let Some(unit) = cn_small_unit(c) {
            let digit = match pending.take() {
                Some(d) => f64::from(d),
                // 十二, 百余, 千万: a leading unit stands for one of it.
                None if last == Token::Start => 1.0,
                None => return Err("十/百/千 needs a digit before it"),
            };
            if last_small.is_some_and(|prev| unit >= prev) {
                return Err("units within a group must decrease (千 > 百 > 十)");
            }
            section += digit * unit;
            last_small = Some(unit);
            last = Token::Unit(unit);
        } else {
            let pending_value = pending.take().map_or(0.0, f64::from);
            let at_start = last == Token::Start;
            if c == '万' {
                section += pending_value;
                if wan_in_segment {
                    return Err("万 repeated without 亿 between");
                }
                if section == 0.0 && !at_start {
                    return Err("万 needs a number before it");
                }
                total += section.max(1.0) * 1e4;
                wan_in_segment = true;
                last = Token::Unit(1e4);
            } else {
                let amount = total + section + pending_value;
                if seen_yi {
                    return Err("亿 repeated");
                }
                if amount == 0.0 && !at_start {
                    return Err("亿 needs a number before it");
                }
                total = amount.max(1.0) * 1e8;
                seen_yi = true;
                wan_in_segment = false;
                last = Token::Unit(1e8);
            }
            section = 0.0;
            last_small = None;
        }
    }

    if last == Token::Zero {
        return Err("a number cannot end in 零");
    }
    if let Some(d) = pending {
        // 一万二 is 12000 and 三千五 is 3500: a last digit right after a
        // unit counts in the next smaller unit. After 零 (一百零五) it is units.
        let scale = match before_pending {
            Token::Unit(u) => u / 10.0,
            _ => 1.0,
        };
        section += f64::from(d) * scale;
    }
    Ok(total + section)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Qualifier::*;

    fn approx_eq(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    /// Input, expected value, expected qualifier.
    const CASES: &[(&str, f64, Qualifier)] = &[
        // Plain
        ("6.61", 6.61, Exact),
        ("14648", 14648.0, Exact),
        ("0.53", 0.53, Exact),
        ("-94.72", -94.72, Exact),
        ("+3.5", 3.5, Exact),
        ("－2", -2.0, Exact),
        ("１２", 12.0, Exact),
        ("９８．５", 98.5, Exact),
        ("1,234", 1234.0, Exact),
        ("1，234", 1234.0, Exact),
        ("12,345,678.9", 12_345_678.9, Exact),
        ("  42 ", 42.0, Exact),
        ("0", 0.0, Exact),
        ("98.5%", 98.5, Exact),
        ("98.5％", 98.5, Exact),
        // Multipliers
        ("1.2万", 12000.0, Exact),
        ("3亿", 3e8, Exact),
        ("5千", 5000.0, Exact),
        ("3百", 300.0, Exact),
        ("3千万", 3e7, Exact),
        ("2百万", 2e6, Exact),
        ("1.5万亿", 1.5e12, Exact),
        ("1,234万", 12_340_000.0, Exact),
        ("1万余", 10000.0, Approximate),
        ("20余", 20.0, Approximate),
        ("20余万", 200_000.0, Approximate),
        ("300多", 300.0, MoreThan),
        ("300多万", 3e6, MoreThan),
        ("1.5万多", 15000.0, MoreThan),
        // Qualifiers before
        ("约10", 10.0, Approximate),
        ("大约10", 10.0, Approximate),
        ("近10", 10.0, Approximate),
        ("将近10", 10.0, Approximate),
        ("约 10", 10.0, Approximate),
        ("突破60", 60.0, MoreThan),
        ("超过98.5", 98.5, MoreThan),
        ("超98.5", 98.5, MoreThan),
        ("逾300", 300.0, MoreThan),
        (">98.5", 98.5, MoreThan),
        ("＞98.5", 98.5, MoreThan),
        ("高于50", 50.0, MoreThan),
        ("不低于4", 4.0, AtLeast),
        ("不少于4", 4.0, AtLeast),
        ("≥4", 4.0, AtLeast),
        (">=4", 4.0, AtLeast),
        ("至少4", 4.0, AtLeast),
        ("不足10", 10.0, LessThan),
        ("不到10", 10.0, LessThan),
        ("低于50", 50.0, LessThan),
        ("<50", 50.0, LessThan),
        ("＜50", 50.0, LessThan),
        ("少于50", 50.0, LessThan),
        ("不超过5", 5.0, AtMost),
        ("≤5", 5.0, AtMost),
        ("<=5", 5.0, AtMost),
        ("至多5", 5.0, AtMost),
        // Qualifiers after
        ("10左右", 10.0, Approximate),
        ("10上下", 10.0, Approximate),
        ("98.5以上", 98.5, MoreThan),
        ("98.5%以上", 98.5, MoreThan),
        ("5以下", 5.0, AtMost),
        ("5以内", 5.0, AtMost),
        ("约10左右", 10.0, Approximate),
        ("超过300多", 300.0, MoreThan),
        // Direction words
        ("下降75", -75.0, Exact),
        ("下降了75", -75.0, Exact),
        ("下降 了 75", -75.0, Exact),
        ("减少3", -3.0, Exact),
        ("降低2.52", -2.52, Exact),
        ("下滑1.2万", -12000.0, Exact),
        ("减0.5", -0.5, Exact),
        ("增长3.29", 3.29, Exact),
        ("增加12", 12.0, Exact),
        ("提高1.5", 1.5, Exact),
        ("上升2", 2.0, Exact),
        ("提升4.8", 4.8, Exact),
        ("增长了3.29%", 3.29, Exact),
        ("下降约75", -75.0, Approximate),
        ("约下降75", -75.0, Approximate),
        ("增长超过10", 10.0, MoreThan),
        ("下降0", 0.0, Exact),
        // Chinese numerals
        ("零", 0.0, Exact),
        ("〇", 0.0, Exact),
        ("四", 4.0, Exact),
        ("两", 2.0, Exact),
        ("十", 10.0, Exact),
        ("十二", 12.0, Exact),
        ("二十", 20.0, Exact),
        ("二十五", 25.0, Exact),
        ("一百", 100.0, Exact),
        ("一百二十", 120.0, Exact),
        ("一百零五", 105.0, Exact),
        ("一千零五十", 1050.0, Exact),
        ("三千五百", 3500.0, Exact),
        ("三千五", 3500.0, Exact),
        ("两百五", 250.0, Exact),
        ("一万", 10000.0, Exact),
        ("一万二千", 12000.0, Exact),
        ("一万二", 12000.0, Exact),
        ("一万零五", 10005.0, Exact),
        ("三百万", 3e6, Exact),
        ("十万", 1e5, Exact),
        ("一亿二千万", 1.2e8, Exact),
        ("一万亿", 1e12, Exact),
        ("二〇二三", 2023.0, Exact),
        ("三点五", 3.5, Exact),
        ("零点五", 0.5, Exact),
        ("零点一二", 0.12, Exact),
        ("百", 100.0, Exact),
        ("四十余", 40.0, Approximate),
        ("十余", 10.0, Approximate),
        ("百余", 100.0, Approximate),
        ("十余万", 1e5, Approximate),
        ("四十余万", 4e5, Approximate),
        ("两万余", 20000.0, Approximate),
        ("三百多万", 3e6, MoreThan),
        ("约四十", 40.0, Approximate),
        ("下降四", -4.0, Exact),
        // Percent words
        ("百分之五十", 50.0, Exact),
        ("百分之九十九点五", 99.5, Exact),
        ("百分之50", 50.0, Exact),
        ("百分之九十以上", 90.0, MoreThan),
        ("约百分之三十", 30.0, Approximate),
        ("下降百分之五", -5.0, Exact),
        // Ratios
        ("100:12.8", 0.128, Exact),
        ("1：13.5", 13.5, Exact),
        ("1 : 13.5", 13.5, Exact),
        ("约1:13", 13.0, Approximate),
        ("1:13.5左右", 13.5, Approximate),
        // Fractions
        ("三分之一", 1.0 / 3.0, Exact),
        ("四分之三", 0.75, Exact),
        ("约三分之二", 2.0 / 3.0, Approximate),
        ("三分之一以上", 1.0 / 3.0, MoreThan),
        ("下降三分之一", -1.0 / 3.0, Exact),
    ];

    #[test]
    fn parses_every_case() {
        for &(input, value, qualifier) in CASES {
            let q = parse_quantity(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert!(
                approx_eq(q.value, value),
                "{input:?}: value {} != {value}",
                q.value
            );
            assert_eq!(q.qualifier, qualifier, "{input:?}: qualifier");
            assert!(!q.numerals.is_empty(), "{input:?}: no numerals");
            assert!(
                !(q.value == 0.0 && q.value.is_sign_negative()),
                "{input:?}: negative zero"
            );
        }
    }

    /// Input and the numeral tokens it must report, in written order.
    const NUMERALS: &[(&str, &[&str])] = &[
        ("6.61", &["6.61"]),
        ("-94.72", &["94.72"]),
        ("１２", &["１２"]),
        ("９８．５", &["９８．５"]),
        ("1,234", &["1,234"]),
        ("1，234", &["1，234"]),
        ("1.2万", &["1.2"]),
        ("20余万", &["20"]),
        ("1万余", &["1"]),
        ("约10", &["10"]),
        ("98.5%以上", &["98.5"]),
        ("下降了75", &["75"]),
        ("四", &["四"]),
        ("四十余", &["四十"]),
        ("四十余万", &["四十"]),
        ("一万二千", &["一万二千"]),
        ("三点五", &["三点五"]),
        ("百分之五十", &["五十"]),
        ("100:12.8", &["100", "12.8"]),
        ("1：13.5", &["1", "13.5"]),
        ("三分之一", &["三", "一"]),
    ];

    #[test]
    fn numerals_are_kept_as_written() {
        for &(input, expected) in NUMERALS {
            let q = parse_quantity(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(q.numerals, expected, "{input:?}");
            for n in &q.numerals {
                assert!(input.contains(n.as_str()), "{input:?} lacks {n:?}");
            }
        }
    }

    #[test]
    fn only_colon_forms_are_ratios() {
        for &(input, value, _) in CASES {
            let q = parse_quantity(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            let colon = input.contains(':') || input.contains('：');
            assert_eq!(q.is_ratio, colon, "{input:?}");
            if q.is_ratio {
                assert_eq!(q.numerals.len(), 2, "{input:?}");
                assert!(value > 0.0, "{input:?}");
            }
        }
    }

    /// Recognises the error variant an input must fail with.
    type ErrorCheck = fn(&QuantityError) -> bool;

    /// Inputs that must be rejected, with a check on the error variant.
    const FAILURES: &[(&str, ErrorCheck)] = &[
        ("", |e| *e == QuantityError::Empty),
        ("   ", |e| *e == QuantityError::Empty),
        ("若干", |e| matches!(e, QuantityError::NoNumber(_))),
        ("大量", |e| matches!(e, QuantityError::NoNumber(_))),
        ("约", |e| matches!(e, QuantityError::NoNumber(_))),
        ("abc", |e| matches!(e, QuantityError::NoNumber(_))),
        ("12abc", |e| matches!(e, QuantityError::TrailingText { .. })),
        ("12.", |e| matches!(e, QuantityError::TrailingText { .. })),
        ("10-20", |e| matches!(e, QuantityError::TrailingText { .. })),
        ("1/3", |e| matches!(e, QuantityError::TrailingText { .. })),
        ("1万2千", |e| {
            matches!(e, QuantityError::TrailingText { .. })
        }),
        ("20余万余", |e| {
            matches!(e, QuantityError::TrailingText { .. })
        }),
        ("1.2万%", |e| {
            matches!(e, QuantityError::TrailingText { .. })
        }),
        ("1:2%", |e| matches!(e, QuantityError::TrailingText { .. })),
        ("1.2.3", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("12,34", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("1234,567", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("1.234,5", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("二二十", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("十百", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("一百十", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("一十百", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("一万万", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("一亿二亿", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("一百零", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("零一百", |e| {
            matches!(e, QuantityError::InvalidNumeral { .. })
        }),
        ("0:5", |e| matches!(e, QuantityError::ZeroDenominator(_))),
        ("零分之一", |e| {
            matches!(e, QuantityError::ZeroDenominator(_))
        }),
        ("1:", |e| matches!(e, QuantityError::Unparsable(_))),
        ("数十", |e| matches!(e, QuantityError::Unparsable(_))),
        ("上万", |e| matches!(e, QuantityError::Unparsable(_))),
        ("约20以上", |e| {
            matches!(
                e,
                QuantityError::ConflictingQualifiers {
                    first: Qualifier::Approximate,
                    second: Qualifier::MoreThan,
                    ..
                }
            )
        }),
        ("20余万以上", |e| {
            matches!(e, QuantityError::ConflictingQualifiers { .. })
        }),
        ("不足10以上", |e| {
            matches!(e, QuantityError::ConflictingQualifiers { .. })
        }),
        ("下降-3", |e| {
            matches!(e, QuantityError::ConflictingSign(_))
        }),
        ("下降增长3", |e| {
            matches!(e, QuantityError::ConflictingSign(_))
        }),
        ("下降1:2", |e| {
            matches!(e, QuantityError::Unsupported { .. })
        }),
        ("-1:2", |e| matches!(e, QuantityError::Unsupported { .. })),
        ("千分之三", |e| {
            matches!(e, QuantityError::Unsupported { .. })
        }),
    ];

    #[test]
    fn rejects_malformed_input() {
        for &(input, is_expected) in FAILURES {
            match parse_quantity(input) {
                Ok(q) => panic!("{input:?} parsed as {q:?}"),
                Err(e) => {
                    assert!(is_expected(&e), "{input:?}: unexpected error {e:?}");
                    let message = e.to_string();
                    if !input.trim().is_empty() {
                        assert!(
                            message.contains(input.trim()),
                            "{input:?}: message {message:?} does not name the input"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn error_messages_are_precise() {
        let e = parse_quantity("1.2.3").unwrap_err();
        assert_eq!(
            e.to_string(),
            "quantity \"1.2.3\" has a malformed numeral \"1.2.3\": more than one decimal point"
        );
        let e = parse_quantity("12abc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "quantity \"12abc\" has unexpected text \"abc\" after the number"
        );
        assert_eq!(
            parse_quantity("若干").unwrap_err().to_string(),
            "quantity \"若干\" contains no number"
        );
    }

    #[test]
    fn qualifier_names_round_trip() {
        for &q in Qualifier::all() {
            assert_eq!(Qualifier::parse(q.as_str()), Ok(q));
            assert_eq!(q.to_string(), q.as_str());
        }
        assert!(Qualifier::parse("Exact").is_err());
        assert!(Qualifier::parse("").is_err());
    }
}
