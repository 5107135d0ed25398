//! File type detection (suffix + magic bytes) and the `ReadMediaFile` tool.

use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::session::workspace::Workspace;
use crate::tools::args::{self, Field, Get, STR};
use crate::tools::util::{msg, read_tool_file};
use crate::tools::{Tool, ToolContext, ToolOutput, ToolReturnValue};
use kagent_base::message::{ContentPart, MediaUrl};
use kagent_base::BoxFuture;

pub const MEDIA_SNIFF_BYTES: usize = 512;
pub const MAX_MEDIA_MEGABYTES: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Text,
    Image,
    Video,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileType {
    pub kind: FileKind,
    pub mime: &'static str,
}

const fn ft(kind: FileKind, mime: &'static str) -> FileType {
    FileType { kind, mime }
}

fn by_suffix(suffix: &str) -> Option<FileType> {
    use FileKind::*;
    Some(match suffix {
        ".svg" => ft(Text, "image/svg+xml"),
        ".png" => ft(Image, "image/png"),
        ".jpg" | ".jpeg" => ft(Image, "image/jpeg"),
        ".gif" => ft(Image, "image/gif"),
        ".bmp" => ft(Image, "image/bmp"),
        ".tif" | ".tiff" => ft(Image, "image/tiff"),
        ".webp" => ft(Image, "image/webp"),
        ".ico" => ft(Image, "image/x-icon"),
        ".heic" => ft(Image, "image/heic"),
        ".heif" => ft(Image, "image/heif"),
        ".avif" => ft(Image, "image/avif"),
        ".svgz" => ft(Image, "image/svg+xml"),
        ".mp4" => ft(Video, "video/mp4"),
        ".mkv" => ft(Video, "video/x-matroska"),
        ".avi" => ft(Video, "video/x-msvideo"),
        ".mov" => ft(Video, "video/quicktime"),
        ".wmv" => ft(Video, "video/x-ms-wmv"),
        ".webm" => ft(Video, "video/webm"),
        ".m4v" => ft(Video, "video/x-m4v"),
        ".flv" => ft(Video, "video/x-flv"),
        ".3gp" => ft(Video, "video/3gpp"),
        ".3g2" => ft(Video, "video/3gpp2"),
        ".mpeg" | ".mpg" => ft(Video, "video/mpeg"),
        _ => return None,
    })
}

const NON_TEXT_SUFFIXES: &[&str] = &[
    ".icns", ".psd", ".ai", ".eps", ".pdf", ".doc", ".docx", ".dot", ".dotx", ".rtf", ".odt",
    ".xls", ".xlsx", ".xlsm", ".xlt", ".xltx", ".xltm", ".ods", ".ppt", ".pptx", ".pptm", ".pps",
    ".ppsx", ".odp", ".pages", ".numbers", ".key", ".zip", ".rar", ".7z", ".tar", ".gz", ".tgz",
    ".bz2", ".xz", ".zst", ".lz", ".lz4", ".br", ".cab", ".ar", ".deb", ".rpm", ".mp3", ".wav",
    ".flac", ".ogg", ".oga", ".opus", ".aac", ".m4a", ".wma", ".ttf", ".otf", ".woff", ".woff2",
    ".exe", ".dll", ".so", ".dylib", ".bin", ".apk", ".ipa", ".jar", ".class", ".pyc", ".pyo",
    ".wasm", ".dmg", ".iso", ".img", ".sqlite", ".sqlite3", ".db", ".db3",
];

fn sniff(h: &[u8]) -> Option<FileType> {
    use FileKind::*;
    if h.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ft(Image, "image/png"));
    }
    if h.starts_with(b"\xff\xd8\xff") {
        return Some(ft(Image, "image/jpeg"));
    }
    if h.starts_with(b"GIF87a") || h.starts_with(b"GIF89a") {
        return Some(ft(Image, "image/gif"));
    }
    if h.starts_with(b"BM") {
        return Some(ft(Image, "image/bmp"));
    }
    if h.starts_with(b"II*\x00") || h.starts_with(b"MM\x00*") {
        return Some(ft(Image, "image/tiff"));
    }
    if h.starts_with(b"\x00\x00\x01\x00") {
        return Some(ft(Image, "image/x-icon"));
    }
    if h.starts_with(b"RIFF") && h.len() >= 12 {
        if &h[8..12] == b"WEBP" {
            return Some(ft(Image, "image/webp"));
        }
        if &h[8..12] == b"AVI " {
            return Some(ft(Video, "video/x-msvideo"));
        }
    }
    if h.starts_with(b"FLV") {
        return Some(ft(Video, "video/x-flv"));
    }
    if h.starts_with(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c") {
        return Some(ft(Video, "video/x-ms-wmv"));
    }
    if h.starts_with(b"\x1a\x45\xdf\xa3") {
        let lower = h.to_ascii_lowercase();
        if lower.windows(4).any(|w| w == b"webm") {
            return Some(ft(Video, "video/webm"));
        }
        if lower.windows(8).any(|w| w == b"matroska") {
            return Some(ft(Video, "video/x-matroska"));
        }
    }
    if h.len() >= 12 && &h[4..8] == b"ftyp" {
        let brand = String::from_utf8_lossy(&h[8..12]).to_lowercase();
        let brand = brand.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        let image = match brand {
            "avif" | "avis" => Some("image/avif"),
            "heic" | "hevc" => Some("image/heic"),
            "heif" | "heix" | "mif1" | "msf1" => Some("image/heif"),
            _ => None,
        };
        if let Some(m) = image {
            return Some(ft(Image, m));
        }
        let video = match brand {
            "isom" | "iso2" | "iso5" | "mp41" | "mp42" | "avc1" | "mp4v" => Some("video/mp4"),
            "m4v" => Some("video/x-m4v"),
            "qt" => Some("video/quicktime"),
            "3gp4" | "3gp5" | "3gp6" | "3gp7" => Some("video/3gpp"),
            "3g2" => Some("video/3gpp2"),
            _ => None,
        };
        if let Some(m) = video {
            return Some(ft(Video, m));
        }
    }
    None
}

/// kimi-cli's `detect_file_type`: media suffixes win, then magic bytes, then NUL bytes mean
/// binary, then a list of known non-text suffixes.
pub fn detect_file_type(path: &Path, header: Option<&[u8]>) -> FileType {
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy().to_lowercase()))
        .unwrap_or_default();
    let hint = by_suffix(&suffix);
    if let Some(h) = &hint {
        if matches!(h.kind, FileKind::Image | FileKind::Video) {
            return h.clone();
        }
    }
    if let Some(header) = header {
        if let Some(s) = sniff(header) {
            if hint.as_ref().is_some_and(|h| h.kind != s.kind) {
                return ft(FileKind::Unknown, "");
            }
            return s;
        }
        if header.contains(&0) {
            return ft(FileKind::Unknown, "");
        }
    }
    if let Some(h) = hint {
        return h;
    }
    if NON_TEXT_SUFFIXES.contains(&suffix.as_str()) {
        return ft(FileKind::Unknown, "");
    }
    ft(FileKind::Text, "text/plain")
}

const FIELDS: &[Field] = &[Field::required("path", STR)];

/// `ReadMediaFile`, offered only when the model takes image or video input.
pub struct ReadMediaFile {
    ws: Workspace,
    capabilities: Vec<String>,
}

impl ReadMediaFile {
    /// `None` when the model has neither `image_in` nor `video_in`.
    pub fn new(ws: impl Into<Workspace>, capabilities: &[String]) -> Option<Self> {
        if !capabilities
            .iter()
            .any(|c| c == "image_in" || c == "video_in")
        {
            return None;
        }
        Some(ReadMediaFile {
            ws: ws.into(),
            capabilities: capabilities.to_vec(),
        })
    }
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

impl Tool for ReadMediaFile {
    fn name(&self) -> &str {
        "ReadMediaFile"
    }

    fn description(&self) -> &str {
        "Read an image or video file so that you can see it.\n\n\
         - Relative paths resolve against the working directory; files outside it need an absolute path.\n\
         - Files up to 100MB are accepted; text files must be read with ReadFile instead.\n\
         - Only media kinds the current model accepts can be read."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "path": {
                    "description": "Path of the file to read; absolute when the file is outside the working directory.",
                    "type": "string"
                }
            },
            "required": ["path"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, _ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let ws = self.ws.clone();
        let caps = self.capabilities.clone();
        Box::pin(async move {
            let p = match args::validate(&arguments, FIELDS) {
                Ok(p) => p,
                Err(e) => return args::validate_error(&e),
            };
            read_media(&ws, &caps, &p.str_of("path"))
        })
    }
}

fn read_media(ws: &Workspace, caps: &[String], raw: &str) -> ToolReturnValue {
    let (path, data) = match read_tool_file(ws, raw, false) {
        Ok(found) => found,
        Err(result) => return *result,
    };
    let t = detect_file_type(&path, Some(&data[..data.len().min(MEDIA_SNIFF_BYTES)]));
    let kind = match t.kind {
        FileKind::Text => {
            return ToolReturnValue::error(
                msg("media.text_file", &[("{path}", raw)]),
                &msg("file.unsupported_type.brief", &[]),
            )
        }
        FileKind::Unknown => {
            return ToolReturnValue::error(
                msg("media.not_readable", &[("{path}", raw)]),
                "File not readable",
            )
        }
        FileKind::Image => "image",
        FileKind::Video => "video",
    };
    if !caps.iter().any(|c| *c == format!("{kind}_in")) {
        let key = if kind == "image" {
            "media.no_image_input"
        } else {
            "media.no_video_input"
        };
        return ToolReturnValue::error(msg(key, &[]), &msg("media.unsupported.brief", &[]));
    }
    let shown = path.display().to_string();
    let size = data.len() as u64;
    if size == 0 {
        return ToolReturnValue::error(format!("`{shown}` is empty."), "Empty file");
    }
    if size > (MAX_MEDIA_MEGABYTES << 20) {
        return ToolReturnValue::error(
            msg(
                "media.too_large",
                &[
                    ("{path}", &shown),
                    ("{size}", &size.to_string()),
                    ("{max_mb}", &MAX_MEDIA_MEGABYTES.to_string()),
                ],
            ),
            "File too large",
        );
    }
    let url = format!(
        "data:{};base64,{}",
        t.mime,
        base64::engine::general_purpose::STANDARD.encode(&data)
    );
    let media = MediaUrl { url, id: None };
    let part = if kind == "image" {
        ContentPart::ImageUrl(media)
    } else {
        ContentPart::VideoUrl(media)
    };
    let parts = vec![
        ContentPart::text(format!("<{kind} path=\"{}\">", escape_attr(&shown))),
        part,
        ContentPart::text(format!("</{kind}>")),
    ];
    ToolReturnValue {
        is_error: false,
        output: ToolOutput::Parts(parts),
        message: msg(
            "media.loaded",
            &[
                ("{kind}", kind),
                ("{path}", &shown),
                ("{mime}", t.mime),
                ("{size}", &size.to_string()),
                ("{size_hint}", ""),
                ("{note}", &msg("media.coordinates_note", &[])),
            ],
        ),
        display: vec![],
        extras: None,
        rejection: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_types() {
        assert_eq!(
            detect_file_type(Path::new("a.png"), None).kind,
            FileKind::Image
        );
        assert_eq!(
            detect_file_type(Path::new("a.txt"), Some(b"\x89PNG\r\n\x1a\nxxxx")).mime,
            "image/png"
        );
        assert_eq!(
            detect_file_type(Path::new("a.dat"), Some(b"ab\x00cd")).kind,
            FileKind::Unknown
        );
        assert_eq!(
            detect_file_type(Path::new("a.pdf"), Some(b"%PDF")).kind,
            FileKind::Unknown
        );
        assert_eq!(
            detect_file_type(Path::new("a.rs"), Some(b"fn main")).kind,
            FileKind::Text
        );
    }
}
