//! A backtracking matcher for the Python `re` patterns regex-automata cannot run: lookahead
//! and (fixed-width) lookbehind, backreferences, conditionals `(?(1)a|b)`, atomic groups and
//! possessive repeats. It walks the tree `regex.rs` parsed, trying alternatives in Python's
//! order (greedy repeats longest first, lazy ones shortest first), from every start position
//! as `re.search` does; single characters (literals, classes, `.`) are tested with the
//! regex-automata class `regex.rs` wrote for them, and the anchors are Python's (`$` at the
//! end or before a final `\n`, `\b` by Python's word characters, `\B` never matching the
//! empty string as in Python 3.13). A search that needs more than [`MAX_STEPS`] steps or
//! nests deeper than [`MAX_DEPTH`] (a long string under a repeat) is given up and counts as
//! a match, so kagent then lets the value through as it does for patterns it cannot run.

use std::cell::Cell;

use regex_automata::meta::Regex;

use super::regex::{Anchor, Node};

const MAX_STEPS: u64 = 1_000_000;
const MAX_DEPTH: usize = 4_000;

#[derive(Debug)]
enum BNode {
    Atom(Regex),
    Anchor(Anchor),
    Seq(Vec<BNode>),
    Alt(Vec<BNode>),
    Group(Option<usize>, Box<BNode>),
    Repeat {
        node: Box<BNode>,
        min: u64,
        max: Option<u64>,
        lazy: bool,
        possessive: bool,
    },
    Look {
        behind: Option<usize>,
        negate: bool,
        node: Box<BNode>,
    },
    Backref(usize, bool),
    Atomic(Box<BNode>),
    Cond(usize, Box<BNode>, Box<BNode>),
}

/// A pattern ready for [`Program::search`].
#[derive(Debug)]
pub struct Program {
    root: BNode,
    groups: usize,
    word: Regex,
    word_ascii: Regex,
}

fn one_char(class: &str) -> Option<Regex> {
    Regex::new(&format!(r"\A(?:{class})\z")).ok()
}

fn build(node: &Node, groups: &mut usize) -> Option<BNode> {
    Some(match node {
        Node::Atom(a) => BNode::Atom(one_char(a)?),
        Node::Anchor(a) => BNode::Anchor(*a),
        Node::Seq(items) => BNode::Seq(
            items
                .iter()
                .map(|n| build(n, groups))
                .collect::<Option<_>>()?,
        ),
        Node::Alt(items) => BNode::Alt(
            items
                .iter()
                .map(|n| build(n, groups))
                .collect::<Option<_>>()?,
        ),
        Node::Group(n, inner) => {
            if let Some(n) = n {
                *groups = (*groups).max(*n);
            }
            BNode::Group(*n, Box::new(build(inner, groups)?))
        }
        Node::Repeat {
            node,
            min,
            max,
            lazy,
            possessive,
        } => BNode::Repeat {
            node: Box::new(build(node, groups)?),
            min: *min,
            max: *max,
            lazy: *lazy,
            possessive: *possessive,
        },
        Node::Look {
            behind,
            negate,
            node,
        } => BNode::Look {
            behind: if *behind { Some(node.width()?) } else { None },
            negate: *negate,
            node: Box::new(build(node, groups)?),
        },
        Node::Backref(n, icase) => BNode::Backref(*n, *icase),
        Node::Atomic(inner) => BNode::Atomic(Box::new(build(inner, groups)?)),
        Node::Cond(n, yes, no) => BNode::Cond(
            *n,
            Box::new(build(yes, groups)?),
            Box::new(build(no, groups)?),
        ),
    })
}

type Caps = Vec<Option<(usize, usize)>>;

struct Run<'p> {
    p: &'p Program,
    text: Vec<char>,
    steps: Cell<u64>,
    depth: Cell<usize>,
    aborted: Cell<bool>,
}

type Cont<'k> = &'k mut dyn FnMut(usize, &mut Caps) -> bool;

impl Program {
    /// `None` when a character class does not compile (kagent then treats the pattern as
    /// unsupported).
    pub(super) fn new(node: &Node) -> Option<Program> {
        let mut groups = 0;
        let root = build(node, &mut groups)?;
        Some(Program {
            root,
            groups,
            word: one_char(r"[\p{L}\p{N}_]")?,
            word_ascii: one_char("[0-9A-Za-z_]")?,
        })
    }

    /// `re.search(pattern, s) is not None` (a search given up counts as a match).
    pub fn search(&self, s: &str) -> bool {
        let run = Run {
            p: self,
            text: s.chars().collect(),
            steps: Cell::new(0),
            depth: Cell::new(0),
            aborted: Cell::new(false),
        };
        for start in 0..=run.text.len() {
            let mut caps: Caps = vec![None; self.groups + 1];
            if run.m(&self.root, start, &mut caps, &mut |_, _| true) {
                return true;
            }
            if run.aborted.get() {
                crate::logging::warn(
                    "JSON Schema pattern search given up (too many steps); treated as matching",
                );
                return true;
            }
        }
        false
    }
}

impl Run<'_> {
    fn char_is(&self, re: &Regex, i: usize) -> bool {
        let Some(c) = self.text.get(i) else {
            return false;
        };
        let mut buf = [0u8; 4];
        re.is_match(c.encode_utf8(&mut buf) as &str)
    }

    fn word_at(&self, i: Option<usize>, ascii: bool) -> bool {
        let re = if ascii {
            &self.p.word_ascii
        } else {
            &self.p.word
        };
        i.is_some_and(|i| self.char_is(re, i))
    }

    fn anchor(&self, a: Anchor, pos: usize) -> bool {
        let n = self.text.len();
        let at = |i: usize| self.text.get(i).copied();
        match a {
            Anchor::Start => pos == 0,
            Anchor::End => pos == n,
            Anchor::Dollar => pos == n || (pos + 1 == n && at(pos) == Some('\n')),
            Anchor::LineStart => pos == 0 || at(pos - 1) == Some('\n'),
            Anchor::LineEnd => pos == n || at(pos) == Some('\n'),
            Anchor::Word { ascii } | Anchor::NotWord { ascii } => {
                if n == 0 {
                    return false;
                }
                let before = self.word_at(pos.checked_sub(1), ascii);
                let after = self.word_at(Some(pos), ascii);
                (before != after) == matches!(a, Anchor::Word { .. })
            }
        }
    }

    /// Match `node` at `pos`, then the continuation `k` from where it ended; backtracks into
    /// `node` while `k` fails.
    fn m(&self, node: &BNode, pos: usize, caps: &mut Caps, k: Cont) -> bool {
        if self.aborted.get() {
            return false;
        }
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        let depth = self.depth.get() + 1;
        if steps > MAX_STEPS || depth > MAX_DEPTH {
            self.aborted.set(true);
            return false;
        }
        self.depth.set(depth);
        let out = self.step(node, pos, caps, k);
        self.depth.set(depth - 1);
        out
    }

    fn step(&self, node: &BNode, pos: usize, caps: &mut Caps, k: Cont) -> bool {
        match node {
            BNode::Atom(re) => self.char_is(re, pos) && k(pos + 1, caps),
            BNode::Anchor(a) => self.anchor(*a, pos) && k(pos, caps),
            BNode::Seq(items) => self.seq(items, 0, pos, caps, k),
            BNode::Alt(branches) => {
                for b in branches {
                    if self.m(b, pos, caps, k) {
                        return true;
                    }
                }
                false
            }
            BNode::Group(None, inner) => self.m(inner, pos, caps, k),
            BNode::Group(Some(n), inner) => {
                let n = *n;
                self.m(inner, pos, caps, &mut |p, caps| {
                    let old = caps.get(n).copied().flatten();
                    if let Some(c) = caps.get_mut(n) {
                        *c = Some((pos, p));
                    }
                    if k(p, caps) {
                        return true;
                    }
                    if let Some(c) = caps.get_mut(n) {
                        *c = old;
                    }
                    false
                })
            }
            BNode::Repeat {
                node,
                min,
                max,
                lazy,
                possessive: false,
            } => self.repeat(node, *min, *max, *lazy, 0, pos, caps, k),
            BNode::Repeat {
                node,
                min,
                max,
                possessive: true,
                ..
            } => {
                let (mut count, mut cur) = (0u64, pos);
                while max.is_none_or(|m| count < m) {
                    let mut end = None;
                    self.m(node, cur, caps, &mut |p, _| {
                        end = Some(p);
                        true
                    });
                    match end {
                        Some(p) if p != cur => (count, cur) = (count + 1, p),
                        Some(_) => {
                            count += 1;
                            break;
                        }
                        None => break,
                    }
                }
                count >= *min && k(cur, caps)
            }
            BNode::Look {
                behind,
                negate,
                node,
            } => {
                let saved = caps.clone();
                let found = match behind {
                    None => self.m(node, pos, caps, &mut |_, _| true),
                    Some(w) => pos
                        .checked_sub(*w)
                        .is_some_and(|from| self.m(node, from, caps, &mut |p, _| p == pos)),
                };
                if !found || *negate {
                    *caps = saved;
                }
                found != *negate && k(pos, caps)
            }
            BNode::Backref(n, icase) => {
                let Some((a, b)) = caps.get(*n).copied().flatten() else {
                    return false;
                };
                let len = b.saturating_sub(a);
                let same =
                    |x: char, y: char| x == y || (*icase && x.to_lowercase().eq(y.to_lowercase()));
                let ok = (0..len).all(|i| match (self.text.get(a + i), self.text.get(pos + i)) {
                    (Some(x), Some(y)) => same(*x, *y),
                    _ => false,
                });
                ok && k(pos + len, caps)
            }
            BNode::Atomic(inner) => {
                let mut end = None;
                self.m(inner, pos, caps, &mut |p, _| {
                    end = Some(p);
                    true
                });
                end.is_some_and(|p| k(p, caps))
            }
            BNode::Cond(n, yes, no) => {
                if caps.get(*n).copied().flatten().is_some() {
                    self.m(yes, pos, caps, k)
                } else {
                    self.m(no, pos, caps, k)
                }
            }
        }
    }

    fn seq(&self, items: &[BNode], i: usize, pos: usize, caps: &mut Caps, k: Cont) -> bool {
        match items.get(i) {
            None => k(pos, caps),
            Some(item) => self.m(item, pos, caps, &mut |p, caps| {
                self.seq(items, i + 1, p, caps, k)
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn repeat(
        &self,
        node: &BNode,
        min: u64,
        max: Option<u64>,
        lazy: bool,
        count: u64,
        pos: usize,
        caps: &mut Caps,
        k: Cont,
    ) -> bool {
        let more = max.is_none_or(|m| count < m);
        if lazy && count >= min && k(pos, caps) {
            return true;
        }
        if more
            && self.m(node, pos, caps, &mut |p, caps| {
                // an iteration that matched nothing ends the repeat
                if p == pos && count >= min {
                    return false;
                }
                self.repeat(node, min, max, lazy, count + 1, p, caps, k)
            })
        {
            return true;
        }
        !lazy && count >= min && k(pos, caps)
    }
}
