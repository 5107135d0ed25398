//! `ReadFile`: numbered lines of a text file, with line, line-length and byte limits.

use std::collections::VecDeque;
use std::io::{BufRead, Read, Seek};

use serde_json::{json, Value};

use crate::session::workspace::Workspace;
use crate::tools::args::{self, Field, Get, Kind, STR};
use crate::tools::file::media::{detect_file_type, FileKind, MEDIA_SNIFF_BYTES};
use crate::tools::util::{check_tool_file, msg, read_failed, truncate_line};
use crate::tools::{Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

pub const MAX_LINES: i64 = 1000;
pub const MAX_LINE_LENGTH: usize = 2000;
pub const MAX_BYTES: usize = 100 << 10;

const FIELDS: &[Field] = &[
    Field::required("path", STR),
    Field::optional("line_offset", args::INT, || json!(1)),
    Field::optional(
        "n_lines",
        Kind::Int {
            ge: Some(1),
            le: None,
        },
        || json!(MAX_LINES),
    ),
];

pub struct ReadFile {
    ws: Workspace,
}

impl ReadFile {
    pub fn new(ws: impl Into<Workspace>) -> Self {
        ReadFile { ws: ws.into() }
    }
}

impl Tool for ReadFile {
    fn name(&self) -> &str {
        "ReadFile"
    }

    fn description(&self) -> &str {
        "Read a text file and return its lines prefixed with line numbers (like `cat -n`).\n\n\
         - Relative paths resolve against the working directory; files outside it need an absolute path.\n\
         - At most 1000 lines or 102400 bytes are returned per call; lines longer than 2000 characters are truncated.\n\
         - Use `line_offset` and `n_lines` to page through large files; a negative `line_offset` reads from the end (e.g. -100 for the last 100 lines).\n\
         - Images, videos and binary files cannot be read with this tool.\n\
         - Files that may hold secrets (e.g. `.env`, private keys) are refused."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "path": {
                    "description": "Path of the file to read; absolute when the file is outside the working directory.",
                    "type": "string"
                },
                "line_offset": {
                    "default": 1,
                    "description": "First line to read (from 1). Leave it out to start at the top; use it for files too long to read at once. A negative value counts from the end (-100: the last 100 lines), at most 1000 back.",
                    "type": "integer"
                },
                "n_lines": {
                    "default": MAX_LINES,
                    "description": "How many lines to read, at most 1000 (also the default); lower it for files too long to read at once.",
                    "minimum": 1,
                    "type": "integer"
                }
            },
            "required": ["path"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let ws = self.ws.clone();
        let _ = ctx;
        Box::pin(async move {
            let p = match args::validate(&arguments, FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            let offset = p.int_of("line_offset");
            if offset == 0 {
                return args::validate_error(&args::value_error(
                    "Params",
                    &arguments,
                    &msg("read.offset_zero", &[]),
                ));
            }
            if offset < -MAX_LINES {
                return args::validate_error(&args::value_error(
                    "Params",
                    &arguments,
                    &msg(
                        "read.offset_too_negative",
                        &[("{max_lines}", &MAX_LINES.to_string())],
                    ),
                ));
            }
            let raw = p.str_of("path");
            read(&ws, &raw, offset, p.int_of("n_lines"))
        })
    }
}

fn read(ws: &Workspace, raw: &str, offset: i64, n_lines: i64) -> ToolReturnValue {
    let path = match check_tool_file(ws, raw, true) {
        Ok(found) => found,
        Err(result) => return *result,
    };
    // The file is streamed (issue 19: `n_lines: 5` of a 1.5 GB log took 5.35 GB): its head
    // decides the type, then only the lines returned are kept while all are counted.
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => return *read_failed(raw, &e),
    };
    let mut header = Vec::with_capacity(MEDIA_SNIFF_BYTES);
    if let Err(e) = (&mut file)
        .take(MEDIA_SNIFF_BYTES as u64)
        .read_to_end(&mut header)
    {
        return *read_failed(raw, &e);
    }
    let header = header.as_slice();
    match detect_file_type(&path, Some(header)).kind {
        FileKind::Image | FileKind::Video => {
            let kind = if detect_file_type(&path, Some(header)).kind == FileKind::Image {
                "image"
            } else {
                "video"
            };
            return ToolReturnValue::error(
                msg("read.media_file", &[("{path}", raw), ("{kind}", kind)]),
                &msg("file.unsupported_type.brief", &[]),
            );
        }
        FileKind::Unknown => {
            return ToolReturnValue::error(
                msg("read.not_readable", &[("{path}", raw)]),
                "File not readable",
            );
        }
        FileKind::Text => {}
    }
    if let Err(e) = file.seek(std::io::SeekFrom::Start(0)) {
        return *read_failed(raw, &e);
    }
    let lines = Lines::new(std::io::BufReader::with_capacity(1 << 16, file));
    let result = if offset < 0 {
        tail(lines, offset, n_lines)
    } else {
        forward(lines, offset, n_lines)
    };
    result.unwrap_or_else(|e| *read_failed(raw, &e))
}

/// Bytes of a line kept: more than [`MAX_LINE_LENGTH`] characters of any UTF-8, so a longer
/// line is cut by `truncate_line` exactly as if it had been read whole.
const LINE_KEEP_BYTES: usize = 4 * MAX_LINE_LENGTH + 4;

/// The lines of a byte stream as Python's text-mode iteration yields them (universal
/// newlines: `\r\n` and `\r` become `\n`; invalid UTF-8 replaced), each cut to
/// [`LINE_KEEP_BYTES`] so that neither the file nor one huge line is ever held whole.
struct Lines<R> {
    reader: R,
    /// The previous line ended with `\r`: a `\n` right after belongs to it.
    after_cr: bool,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Self {
        Lines {
            reader,
            after_cr: false,
        }
    }

    fn line(kept: &[u8], ended: bool) -> String {
        let mut line = String::from_utf8_lossy(kept).into_owned();
        if ended {
            line.push('\n');
        }
        line
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut kept: Vec<u8> = vec![];
        let mut started = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if chunk.is_empty() {
                return started.then(|| Ok(Self::line(&kept, false)));
            }
            if std::mem::take(&mut self.after_cr) && chunk.first() == Some(&b'\n') && !started {
                self.reader.consume(1);
                continue;
            }
            let end = chunk.iter().position(|b| *b == b'\n' || *b == b'\r');
            let body = &chunk[..end.unwrap_or(chunk.len())];
            let room = LINE_KEEP_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&body[..body.len().min(room)]);
            started = true;
            match end {
                Some(i) => {
                    self.after_cr = chunk.get(i) == Some(&b'\r');
                    self.reader.consume(i + 1);
                    return Some(Ok(Self::line(&kept, true)));
                }
                None => {
                    let n = chunk.len();
                    self.reader.consume(n);
                }
            }
        }
    }
}

fn finish(
    lines: &[(usize, String)],
    total: usize,
    n_lines: i64,
    max_lines_reached: bool,
    max_bytes_reached: bool,
    truncated: &[usize],
    start_line: usize,
) -> ToolReturnValue {
    let output: String = lines.iter().map(|(no, l)| format!("{no:6}\t{l}")).collect();
    let mut message = if lines.is_empty() {
        msg("read.no_lines", &[])
    } else {
        msg(
            "read.lines_read",
            &[
                ("{count}", &lines.len().to_string()),
                ("{start}", &start_line.to_string()),
            ],
        )
    };
    message.push_str(&msg("read.total_lines", &[("{total}", &total.to_string())]));
    if max_lines_reached {
        message.push_str(&msg(
            "read.max_lines",
            &[("{max_lines}", &MAX_LINES.to_string())],
        ));
    } else if max_bytes_reached {
        message.push_str(&msg(
            "read.max_bytes",
            &[("{max_bytes}", &MAX_BYTES.to_string())],
        ));
    } else if (lines.len() as i64) < n_lines {
        message.push_str(&msg("read.eof", &[]));
    }
    if !truncated.is_empty() {
        let list: Vec<String> = truncated.iter().map(|n| n.to_string()).collect();
        let list = format!("[{}]", list.join(", "));
        message.push_str(&msg("read.truncated_lines", &[("{lines}", &list)]));
    }
    ToolReturnValue::ok(output, message)
}

fn forward(
    all: impl Iterator<Item = std::io::Result<String>>,
    offset: i64,
    n_lines: i64,
) -> std::io::Result<ToolReturnValue> {
    let start = offset as usize;
    let mut lines = vec![];
    let mut truncated = vec![];
    let mut n_bytes = 0usize;
    let (mut max_lines_reached, mut max_bytes_reached) = (false, false);
    let mut total = 0usize;
    let mut collecting = true;
    for (i, line) in all.enumerate() {
        let line = line?;
        total = i + 1;
        if !collecting || i + 1 < start {
            // past the lines returned, the rest is only counted
            continue;
        }
        let no = i + 1;
        let cut = truncate_line(&line, MAX_LINE_LENGTH, "...");
        if cut != line {
            truncated.push(no);
        }
        n_bytes += cut.len();
        lines.push((no, cut));
        if lines.len() as i64 >= n_lines {
            collecting = false;
        } else if lines.len() as i64 >= MAX_LINES {
            max_lines_reached = true;
            collecting = false;
        } else if n_bytes >= MAX_BYTES {
            max_bytes_reached = true;
            collecting = false;
        }
    }
    Ok(finish(
        &lines,
        total,
        n_lines,
        max_lines_reached,
        max_bytes_reached,
        &truncated,
        start,
    ))
}

fn tail(
    all: impl Iterator<Item = std::io::Result<String>>,
    offset: i64,
    n_lines: i64,
) -> std::io::Result<ToolReturnValue> {
    let count = offset.unsigned_abs() as usize;
    let mut buf: VecDeque<(usize, String, bool)> = VecDeque::new();
    let mut total = 0usize;
    for (i, line) in all.enumerate() {
        let line = line?;
        total = i + 1;
        let cut = truncate_line(&line, MAX_LINE_LENGTH, "...");
        let was = cut != line;
        buf.push_back((i + 1, cut, was));
        if buf.len() > count {
            buf.pop_front();
        }
    }
    let entries: Vec<_> = buf.into_iter().collect();
    let limit = n_lines.min(MAX_LINES) as usize;
    let mut candidates: Vec<_> = entries.iter().take(limit).cloned().collect();
    let max_lines_reached =
        entries.len() > MAX_LINES as usize && candidates.len() == MAX_LINES as usize;
    let total_bytes: usize = candidates.iter().map(|e| e.1.len()).sum();
    let max_bytes_reached = total_bytes > MAX_BYTES;
    if max_bytes_reached {
        let mut kept = 0;
        let mut n = 0;
        for e in candidates.iter().rev() {
            n += e.1.len();
            if n > MAX_BYTES {
                break;
            }
            kept += 1;
        }
        candidates = candidates.split_off(candidates.len() - kept);
    }
    let truncated: Vec<usize> = candidates.iter().filter(|e| e.2).map(|e| e.0).collect();
    let start = candidates.first().map_or(total + 1, |e| e.0);
    let lines: Vec<(usize, String)> = candidates.into_iter().map(|e| (e.0, e.1)).collect();
    Ok(finish(
        &lines,
        total,
        n_lines,
        max_lines_reached,
        max_bytes_reached,
        &truncated,
        start,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> impl Iterator<Item = std::io::Result<String>> {
        (1..=n).map(|i| Ok(format!("line {i}\n")))
    }

    fn read_lines(text: &str) -> Vec<String> {
        Lines::new(std::io::BufReader::with_capacity(2, text.as_bytes()))
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn forward_and_tail_messages() {
        let r = forward(lines(3), 2, 1000).unwrap();
        assert_eq!(
            r.message,
            "Read 2 lines, from line 2 on. The file has 3 lines. The end of the file was reached."
        );
        assert_eq!(
            r.output,
            crate::tools::ToolOutput::Text("     2\tline 2\n     3\tline 3\n".into())
        );
        let r = tail(lines(5), -2, 1000).unwrap();
        assert!(r.message.starts_with("Read 2 lines, from line 4 on."));
        let r = forward(lines(1200), 1, 1000).unwrap();
        assert!(
            r.message.ends_with("The file has 1200 lines."),
            "{}",
            r.message
        );
    }

    #[test]
    fn universal_newlines() {
        assert_eq!(read_lines("a\r\nb\rc"), vec!["a\n", "b\n", "c"]);
        assert_eq!(read_lines("a\r\r\nb\n\n"), vec!["a\n", "\n", "b\n", "\n"]);
        assert_eq!(read_lines(""), Vec::<String>::new());
        // a huge line is kept only as far as truncation needs, with the same result
        let huge = format!("{}\nnext", "é".repeat(50_000));
        let got = read_lines(&huge);
        assert_eq!(got.len(), 2);
        assert!(got[0].len() <= LINE_KEEP_BYTES + 1);
        assert_eq!(
            truncate_line(&got[0], MAX_LINE_LENGTH, "..."),
            truncate_line(&format!("{}\n", "é".repeat(50_000)), MAX_LINE_LENGTH, "...")
        );
    }
}
