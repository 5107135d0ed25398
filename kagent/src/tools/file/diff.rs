//! `diff` display blocks for file edits: Python difflib's longest-matching-block algorithm
//! (no junk heuristics) grouped with 3 lines of context, one block per group.

use std::collections::HashMap;

use serde_json::json;

use crate::tools::DisplayBlock;

const N_CONTEXT: usize = 3;
const HUGE_FILE_THRESHOLD: usize = 10_000;

type Opcode = (&'static str, usize, usize, usize, usize);

struct Matcher<'a> {
    a: &'a [&'a str],
    b: &'a [&'a str],
    b2j: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Matcher<'a> {
    fn new(a: &'a [&'a str], b: &'a [&'a str]) -> Self {
        let mut b2j: HashMap<&str, Vec<usize>> = HashMap::new();
        for (j, line) in b.iter().enumerate() {
            b2j.entry(line).or_default().push(j);
        }
        Matcher { a, b, b2j }
    }

    fn longest(&self, alo: usize, ahi: usize, blo: usize, bhi: usize) -> (usize, usize, usize) {
        let (mut besti, mut bestj, mut bestsize) = (alo, blo, 0);
        let mut j2len: HashMap<usize, usize> = HashMap::new();
        for i in alo..ahi {
            let mut next: HashMap<usize, usize> = HashMap::new();
            if let Some(js) = self.b2j.get(self.a[i]) {
                for &j in js {
                    if j < blo {
                        continue;
                    }
                    if j >= bhi {
                        break;
                    }
                    let k = if j > 0 {
                        j2len.get(&(j - 1)).copied().unwrap_or(0)
                    } else {
                        0
                    } + 1;
                    next.insert(j, k);
                    if k > bestsize {
                        besti = i + 1 - k;
                        bestj = j + 1 - k;
                        bestsize = k;
                    }
                }
            }
            j2len = next;
        }
        (besti, bestj, bestsize)
    }

    fn matching_blocks(&self) -> Vec<(usize, usize, usize)> {
        let (la, lb) = (self.a.len(), self.b.len());
        let mut queue = vec![(0, la, 0, lb)];
        let mut blocks = vec![];
        while let Some((alo, ahi, blo, bhi)) = queue.pop() {
            let (i, j, k) = self.longest(alo, ahi, blo, bhi);
            if k > 0 {
                blocks.push((i, j, k));
                if alo < i && blo < j {
                    queue.push((alo, i, blo, j));
                }
                if i + k < ahi && j + k < bhi {
                    queue.push((i + k, ahi, j + k, bhi));
                }
            }
        }
        blocks.sort_unstable();
        let mut out: Vec<(usize, usize, usize)> = vec![];
        let (mut i1, mut j1, mut k1) = (0, 0, 0);
        for (i2, j2, k2) in blocks {
            if i1 + k1 == i2 && j1 + k1 == j2 {
                k1 += k2;
            } else {
                if k1 > 0 {
                    out.push((i1, j1, k1));
                }
                (i1, j1, k1) = (i2, j2, k2);
            }
        }
        if k1 > 0 {
            out.push((i1, j1, k1));
        }
        out.push((la, lb, 0));
        out
    }

    fn opcodes(&self) -> Vec<Opcode> {
        let (mut i, mut j) = (0, 0);
        let mut out = vec![];
        for (ai, bj, size) in self.matching_blocks() {
            let tag = match (i < ai, j < bj) {
                (true, true) => Some("replace"),
                (true, false) => Some("delete"),
                (false, true) => Some("insert"),
                _ => None,
            };
            if let Some(t) = tag {
                out.push((t, i, ai, j, bj));
            }
            i = ai + size;
            j = bj + size;
            if size > 0 {
                out.push(("equal", ai, i, bj, j));
            }
        }
        out
    }

    fn grouped(&self, n: usize) -> Vec<Vec<Opcode>> {
        let mut codes = self.opcodes();
        if codes.is_empty() {
            codes.push(("equal", 0, 1, 0, 1));
        }
        if codes[0].0 == "equal" {
            let (t, i1, i2, j1, j2) = codes[0];
            codes[0] = (
                t,
                i1.max(i2.saturating_sub(n)),
                i2,
                j1.max(j2.saturating_sub(n)),
                j2,
            );
        }
        let last = codes.len() - 1;
        if codes[last].0 == "equal" {
            let (t, i1, i2, j1, j2) = codes[last];
            codes[last] = (t, i1, i2.min(i1 + n), j1, j2.min(j1 + n));
        }
        let nn = n + n;
        let mut groups = vec![];
        let mut group = vec![];
        for (t, mut i1, i2, mut j1, j2) in codes {
            if t == "equal" && i2 - i1 > nn {
                group.push((t, i1, i2.min(i1 + n), j1, j2.min(j1 + n)));
                groups.push(std::mem::take(&mut group));
                i1 = i1.max(i2.saturating_sub(n));
                j1 = j1.max(j2.saturating_sub(n));
            }
            group.push((t, i1, i2, j1, j2));
        }
        if !(group.is_empty() || (group.len() == 1 && group[0].0 == "equal")) {
            groups.push(group);
        }
        groups
    }
}

/// Python's `str.splitlines()` (no line ends kept).
fn split_lines(text: &str) -> Vec<&str> {
    crate::tools::util::split_lines_keepends(text)
        .into_iter()
        .map(|l| l.trim_end_matches(['\n', '\r']))
        .collect()
}

/// Diff blocks between two versions of the file at `path`.
pub fn diff_blocks(path: &str, old: &str, new: &str) -> Vec<DisplayBlock> {
    if old == new {
        return vec![];
    }
    let a = split_lines(old);
    let b = split_lines(new);
    if a.len().max(b.len()) > HUGE_FILE_THRESHOLD {
        let new_desc = if a.len() == b.len() {
            format!("({} lines, modified)", b.len())
        } else {
            format!("({} lines)", b.len())
        };
        return vec![DisplayBlock(json!({
            "type": "diff", "path": path,
            "old_text": format!("({} lines)", a.len()), "new_text": new_desc,
            "old_start": 1, "new_start": 1, "is_summary": true,
        }))];
    }
    let m = Matcher::new(&a, &b);
    m.grouped(N_CONTEXT)
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let (i1, j1) = (g[0].1, g[0].3);
            let (i2, j2) = (g[g.len() - 1].2, g[g.len() - 1].4);
            DisplayBlock(json!({
                "type": "diff", "path": path,
                "old_text": a[i1..i2].join("\n"), "new_text": b[j1..j2].join("\n"),
                "old_start": i1 + 1, "new_start": j1 + 1, "is_summary": false,
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_change_with_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        let b = diff_blocks("f", old, new);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].0["old_text"], "2\n3\n4\n5\n6\n7\n8");
        assert_eq!(b[0].0["new_text"], "2\n3\n4\nfive\n6\n7\n8");
        assert_eq!(b[0].0["old_start"], 2);
    }

    #[test]
    fn new_file_and_far_apart_changes() {
        let b = diff_blocks("f", "", "a\nb");
        assert_eq!(b[0].0["old_text"], "");
        assert_eq!(b[0].0["new_text"], "a\nb");
        assert_eq!(b[0].0["old_start"], 1);
        let old: String = (0..20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("1\n", "one\n").replace("18\n", "eighteen\n");
        assert_eq!(diff_blocks("f", &old, &new).len(), 2);
    }
}
