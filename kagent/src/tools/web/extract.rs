//! The main text of an HTML page, for `FetchURL`: kimi-cli runs trafilatura
//! (`extract(..., include_comments=True, include_tables=True, include_formatting=False,
//! output_format="txt", with_metadata=True)`); this is a focused extractor written for kagent
//! that gives the same shape of output: a `---` front matter (title, author, description,
//! site name) and then one line per block of the main content (headings, paragraphs, list items
//! as `- item`, table rows as `| a | b |` with a `|---|` line under a header row), whitespace
//! collapsed. The main content is the page's `article`, else `main` / `role=main` / a
//! content container, else `body`; site chrome (navigation, headers and footers outside it,
//! sidebars, cookie banners, share bars, breadcrumbs, bylines, scripts) is left out.
//! `None` when no text is left (a page that needs JavaScript): FetchURL's "No content
//! extracted". kagent/ORACLE-NOTES.md ("FetchURL") says how it is compared with trafilatura.

use ego_tree::NodeRef;
use scraper::{Html, Node, Selector};

/// Elements never part of the text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "form", "button", "iframe", "svg",
    "select", "input", "textarea", "head", "title", "meta", "link", "object", "embed", "canvas",
];

/// Class/id words of site chrome.
const CHROME_WORDS: &[&str] = &[
    "cookie",
    "cookies",
    "banner",
    "share",
    "sharing",
    "social",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "footer",
    "nav",
    "navbar",
    "navigation",
    "menu",
    "related",
    "newsletter",
    "advert",
    "advertisement",
    "ad",
    "ads",
    "promo",
    "byline",
    "popup",
    "modal",
    "toolbar",
    "pagination",
    "skip",
];

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "section",
    "article",
    "main",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "hr",
    "center",
    "details",
    "summary",
    "header",
    "footer",
    "caption",
    "body",
];

/// Containers tried, in order, for the main content.
const MAIN_SELECTORS: &[&str] = &[
    "article",
    "main",
    "[role=main]",
    "#content",
    ".content",
    ".post-content",
    ".entry-content",
    ".article-body",
    "body",
];

fn words_of(el: &scraper::node::Element) -> impl Iterator<Item = String> + '_ {
    el.classes()
        .chain(el.id())
        .flat_map(|v| v.split(['-', '_', ' ']))
        .map(str::to_ascii_lowercase)
}

fn is_chrome(el: &scraper::node::Element) -> bool {
    let name = el.name();
    SKIPPED.contains(&name) || words_of(el).any(|w| CHROME_WORDS.contains(&w.as_str()))
}

/// Lines of text, built block by block.
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    current: String,
}

impl Lines {
    fn flush(&mut self) {
        let text = collapse(&self.current);
        self.current.clear();
        if !text.is_empty() && text != "-" {
            self.lines.push(text);
        }
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The collapsed text of an element (table cells), chrome left out.
fn inline_text(node: NodeRef<'_, Node>) -> String {
    let mut lines = Lines::default();
    for child in node.children() {
        walk(child, &mut lines, true);
    }
    let mut all = lines.lines;
    all.push(collapse(&lines.current));
    collapse(&all.join(" "))
}

fn table(node: NodeRef<'_, Node>, out: &mut Lines) {
    let mut rows: Vec<(Vec<String>, bool)> = vec![];
    fn rows_of(node: NodeRef<'_, Node>, rows: &mut Vec<(Vec<String>, bool)>) {
        for child in node.children() {
            let Some(el) = child.value().as_element() else {
                continue;
            };
            match el.name() {
                "thead" | "tbody" | "tfoot" => rows_of(child, rows),
                "tr" => {
                    let mut cells = vec![];
                    let mut header = false;
                    for cell in child.children() {
                        if let Some(c) = cell.value().as_element() {
                            if matches!(c.name(), "td" | "th") {
                                header |= c.name() == "th";
                                cells.push(inline_text(cell));
                            }
                        }
                    }
                    if cells.iter().any(|c| !c.is_empty()) {
                        rows.push((cells, header));
                    }
                }
                _ => {}
            }
        }
    }
    rows_of(node, &mut rows);
    out.flush();
    for (i, (cells, header)) in rows.iter().enumerate() {
        out.lines.push(format!("| {} |", cells.join(" | ")));
        if i == 0 && *header {
            out.lines.push(format!("|{}", "---|".repeat(cells.len())));
        }
    }
}

fn walk(node: NodeRef<'_, Node>, out: &mut Lines, inline_only: bool) {
    match node.value() {
        Node::Text(t) => out.current.push_str(t),
        Node::Element(el) => {
            if is_chrome(el) {
                return;
            }
            let name = el.name();
            if name == "br" {
                if inline_only {
                    out.current.push(' ');
                } else {
                    out.flush();
                }
                return;
            }
            if name == "table" && !inline_only {
                table(node, out);
                return;
            }
            let block = !inline_only && (BLOCKS.contains(&name) || name == "li" || name == "tr");
            if block {
                out.flush();
                if name == "li" {
                    out.current.push_str("- ");
                }
            } else if inline_only {
                // cells: blocks inside them are separated by a space
                out.current.push(' ');
            }
            for child in node.children() {
                walk(child, out, inline_only);
            }
            if block {
                out.flush();
            }
        }
        _ => {}
    }
}

fn meta(doc: &Html, selector: &str) -> Option<String> {
    let sel = Selector::parse(selector).ok()?;
    doc.select(&sel)
        .filter_map(|e| e.value().attr("content"))
        .map(collapse)
        .find(|s| !s.is_empty())
}

fn first_text(doc: &Html, selector: &str) -> Option<String> {
    let sel = Selector::parse(selector).ok()?;
    doc.select(&sel)
        .map(|e| collapse(&e.text().collect::<String>()))
        .find(|s| !s.is_empty())
}

/// The front matter: title (`og:title`, else the page's only `h1`, else `<title>` up to a
/// ` - ` / ` | ` / ` — ` separator, whose other side names the site, else the first `h1`),
/// author, description, site name.
fn front_matter(doc: &Html) -> Vec<(String, String)> {
    let mut fields = vec![];
    let mut sitename = meta(doc, "meta[property=\"og:site_name\"]");
    let h1s: Vec<String> = Selector::parse("h1")
        .map(|sel| {
            doc.select(&sel)
                .map(|e| collapse(&e.text().collect::<String>()))
                .collect()
        })
        .unwrap_or_default();
    let only_h1 = match h1s.as_slice() {
        [one] if !one.is_empty() => Some(one.clone()),
        _ => None,
    };
    let from_title = first_text(doc, "title").map(|full| {
        for sep in [" - ", " | ", " — ", " – "] {
            if let Some((head, tail)) = full.split_once(sep) {
                return (head.trim().to_string(), Some(tail.trim().to_string()));
            }
        }
        (full, None)
    });
    if sitename.is_none() {
        sitename = from_title.as_ref().and_then(|(_, site)| site.clone());
    }
    let title = meta(doc, "meta[property=\"og:title\"]")
        .or(only_h1)
        .or_else(|| from_title.map(|(t, _)| t))
        .or_else(|| h1s.into_iter().find(|h| !h.is_empty()));
    if let Some(t) = title {
        fields.push(("title".to_string(), t));
    }
    if let Some(a) = meta(doc, "meta[name=\"author\"]") {
        fields.push(("author".to_string(), a));
    }
    if let Some(d) = meta(doc, "meta[name=\"description\"]")
        .or_else(|| meta(doc, "meta[property=\"og:description\"]"))
    {
        fields.push(("description".to_string(), d));
    }
    if let Some(s) = sitename {
        fields.push(("sitename".to_string(), s));
    }
    fields
}

/// The main content's lines (no front matter).
pub fn main_lines(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    for selector in MAIN_SELECTORS {
        let Ok(sel) = Selector::parse(selector) else {
            continue;
        };
        // the candidate with the most text, skipping candidates that are chrome themselves
        let best = doc
            .select(&sel)
            .filter(|e| !is_chrome(e.value()))
            .map(|e| {
                let mut lines = Lines::default();
                walk(*e, &mut lines, false);
                lines.flush();
                lines.lines
            })
            .max_by_key(|lines| lines.iter().map(String::len).sum::<usize>());
        if let Some(lines) = best.filter(|l| !l.is_empty()) {
            return lines;
        }
    }
    vec![]
}

/// The text FetchURL returns for an HTML page, `None` when nothing is extracted.
pub fn extract(html: &str) -> Option<String> {
    let lines = main_lines(html);
    if lines.is_empty() {
        return None;
    }
    let doc = Html::parse_document(html);
    let mut out = String::new();
    let fields = front_matter(&doc);
    if !fields.is_empty() {
        out.push_str("---\n");
        for (k, v) in fields {
            out.push_str(&format!("{k}: {v}\n"));
        }
        out.push_str("---\n");
    }
    out.push_str(&lines.join("\n"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head><title>Notes - Harbour site</title>\
        <meta name=\"author\" content=\"Ana\"></head><body>\
        <div class=\"cookie-banner\">We use cookies</div><nav><a href=\"/\">Home</a></nav>\
        <article><h1>Notes</h1><p class=\"byline\">By Ana</p><p>First   paragraph\n of text.</p>\
        <ul><li>one</li><li><a href=\"#\">two</a></li></ul>\
        <table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1<br>2</td></tr></table>\
        </article><footer>Copyright</footer></body></html>";

    #[test]
    fn article_text_without_chrome() {
        assert_eq!(
            extract(PAGE).unwrap(),
            "---\ntitle: Notes\nauthor: Ana\nsitename: Harbour site\n---\nNotes\n\
             First paragraph of text.\n- one\n- two\n| k | v |\n|---|---|\n| a | 1 2 |"
        );
    }

    #[test]
    fn script_only_pages_have_no_text() {
        let app = "<html><head><title>App</title><script>x()</script></head>\
                   <body><div id=\"root\"></div><script>y()</script></body></html>";
        assert_eq!(extract(app), None);
        assert_eq!(extract(""), None);
    }
}
