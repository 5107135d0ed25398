//! The `<git-context>` block a new `explore` subagent's prompt starts with, as kimi-cli 1.51
//! collects it (`kimi_cli.subagents.git_context`): the work dir, the origin remote (only when it
//! is on a well-known public host, credentials dropped), the project name, the branch, the dirty
//! files (at most 20 named) and the last three commits, each from its own `git -C <dir>` command
//! bounded by 5 s. A failing command leaves its line out; outside a git repository, or with
//! nothing but the work dir to say, there is no block. The labels are the profile's
//! `git_context.*` messages (kimi-cli's own, or kagent's wording without a profile).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use kagent_base::py::strings::{py_strip, splitlines};
use tokio::io::AsyncReadExt as _;

use crate::tools::util::msg;

const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_DIRTY_FILES: usize = 20;
const MAX_COMMIT_LINE: usize = 200;
/// Hosts whose remote URLs are shown (kimi-cli's list): self-hosted ones are not named.
const PUBLIC_HOSTS: [&str; 6] = [
    "github.com",
    "gitlab.com",
    "gitee.com",
    "bitbucket.org",
    "codeberg.org",
    "sr.ht",
];

/// The block for `work_dir`, or "" (not a repository, or nothing found).
pub async fn collect(work_dir: &Path) -> String {
    let cwd = work_dir.to_string_lossy().into_owned();
    if run_git(&cwd, &["rev-parse", "--is-inside-work-tree"])
        .await
        .is_none()
    {
        return String::new();
    }
    let (remote, branch, dirty, log) = tokio::join!(
        run_git(&cwd, &["remote", "get-url", "origin"]),
        run_git(&cwd, &["branch", "--show-current"]),
        run_git(&cwd, &["status", "--porcelain"]),
        run_git(&cwd, &["log", "-3", "--format=%h %s"]),
    );
    let mut sections = vec![msg("git_context.work_dir", &[("{work_dir}", &cwd)])];
    if let Some(url) = remote.filter(|u| !u.is_empty()) {
        if let Some(safe) = public_remote(&url) {
            sections.push(msg("git_context.remote", &[("{url}", &safe)]));
        }
        if let Some(project) = project_name(&url) {
            sections.push(msg("git_context.project", &[("{project}", &project)]));
        }
    }
    if let Some(branch) = branch.filter(|b| !b.is_empty()) {
        sections.push(msg("git_context.branch", &[("{branch}", &branch)]));
    }
    if let Some(dirty) = dirty {
        let lines: Vec<&str> = splitlines(&dirty)
            .into_iter()
            .filter(|l| !py_strip(l).is_empty())
            .collect();
        if !lines.is_empty() {
            let total = lines.len();
            let header = msg("git_context.dirty", &[("{count}", &total.to_string())]);
            let mut body = indented(lines.iter().take(MAX_DIRTY_FILES).copied());
            if total > MAX_DIRTY_FILES {
                body += &msg(
                    "git_context.dirty_more",
                    &[("{more}", &(total - MAX_DIRTY_FILES).to_string())],
                );
            }
            sections.push(format!("{header}\n{body}"));
        }
    }
    if let Some(log) = log.filter(|l| !l.is_empty()) {
        let lines: Vec<String> = splitlines(&log)
            .into_iter()
            .filter(|l| !py_strip(l).is_empty())
            .map(|l| l.chars().take(MAX_COMMIT_LINE).collect())
            .collect();
        if !lines.is_empty() {
            let body = indented(lines.iter().map(String::as_str));
            sections.push(msg("git_context.commits", &[("{lines}", &body)]));
        }
    }
    if sections.len() <= 1 {
        return String::new();
    }
    msg("git_context.block", &[("{content}", &sections.join("\n"))])
}

fn indented<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `git -C <cwd> <args>`'s stdout, stripped, when it exits 0 within the time limits (kimi-cli
/// reads stdout for up to 5 s, then waits up to 5 s for the exit); None otherwise.
async fn run_git(cwd: &str, args: &[&str]) -> Option<String> {
    let mut child = tokio::process::Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let mut out = Vec::new();
    tokio::time::timeout(TIMEOUT, stdout.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    let status = tokio::time::timeout(TIMEOUT, child.wait())
        .await
        .ok()?
        .ok()?;
    if !status.success() {
        return None;
    }
    Some(py_strip(&String::from_utf8_lossy(&out)).to_string())
}

/// The remote URL when it points to a public host: an SSH `git@host:` URL as it is, else
/// `https://host[:port]/path` without credentials, query or fragment (Python's urlparse).
fn public_remote(url: &str) -> Option<String> {
    if PUBLIC_HOSTS
        .iter()
        .any(|h| url.starts_with(&format!("git@{h}:")))
    {
        return Some(url.to_string());
    }
    let parsed = UrlParts::parse(url)?;
    let host = parsed.hostname?;
    if !PUBLIC_HOSTS.contains(&host.as_str()) {
        return None;
    }
    let port = match parsed.port {
        Some(p) if p != 0 => format!(":{p}"),
        _ => String::new(),
    };
    Some(format!("https://{host}{port}{}", parsed.path))
}

/// What kimi-cli needs of `urllib.parse.urlparse(url)`: the lowercased hostname, the port
/// (None for a bad one: Python raises ValueError, and the URL is not shown) and the path.
struct UrlParts {
    hostname: Option<String>,
    port: Option<u32>,
    path: String,
}

impl UrlParts {
    fn parse(raw: &str) -> Option<UrlParts> {
        // urlsplit drops leading C0 controls and spaces, and tabs and newlines anywhere
        let cleaned: String = raw
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        let mut rest = cleaned.as_str();
        let mut scheme = String::new();
        if let Some(i) = rest.find(':') {
            let candidate = &rest[..i];
            let valid = candidate
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && candidate
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if valid {
                scheme = candidate.to_ascii_lowercase();
                rest = &rest[i + 1..];
            }
        }
        let mut netloc = "";
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            netloc = &after[..end];
            rest = &after[end..];
            if netloc.contains('[') != netloc.contains(']') {
                return None; // "Invalid IPv6 URL"
            }
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let mut path = rest.split('?').next().unwrap_or_default();
        const USES_PARAMS: [&str; 16] = [
            "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps",
            "rtspu", "sip", "sips", "mms", "sftp", "tel",
        ];
        if USES_PARAMS.contains(&scheme.as_str()) && path.contains(';') {
            let from = path.rfind('/').unwrap_or(0);
            if let Some(i) = path[from..].find(';') {
                path = &path[..from + i];
            }
        }
        let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
        let (host, port) = match hostinfo.split_once('[') {
            Some((_, bracketed)) => {
                let (h, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
                (h, after.split_once(':').map_or("", |(_, p)| p))
            }
            None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
        };
        let port = if port.is_empty() {
            None
        } else if port.chars().all(|c| c.is_ascii_digit()) {
            match port.parse::<u32>() {
                Ok(p) if p <= 65535 => Some(p),
                _ => return None, // "Port out of range 0-65535"
            }
        } else {
            return None; // "Port could not be cast to integer value"
        };
        let hostname = (!host.is_empty()).then(|| match host.split_once('%') {
            Some((h, zone)) => format!("{}%{zone}", h.to_lowercase()),
            None => host.to_lowercase(),
        });
        Some(UrlParts {
            hostname,
            port,
            path: path.to_string(),
        })
    }
}

/// `owner/repo` from the end of a remote URL: after the first `:` that is followed by exactly
/// `owner/repo[.git]` (SSH form), else after the first such `/` (kimi-cli's two searches).
fn project_name(url: &str) -> Option<String> {
    [':', '/']
        .into_iter()
        .find_map(|anchor| owner_repo_after(url, anchor))
}

fn owner_repo_after(url: &str, anchor: char) -> Option<String> {
    url.match_indices(anchor).find_map(|(i, _)| {
        let rest = &url[i + 1..];
        let (owner, repo) = rest.split_once('/')?;
        if owner.is_empty() || repo.is_empty() || repo.contains('/') {
            return None;
        }
        let repo = match repo.strip_suffix(".git") {
            Some(stem) if !stem.is_empty() => stem,
            _ => repo,
        };
        Some(format!("{owner}/{repo}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_remotes_are_shown_without_credentials() {
        let shown = |u: &str| public_remote(u);
        assert_eq!(
            shown("git@github.com:o/r.git").as_deref(),
            Some("git@github.com:o/r.git")
        );
        assert_eq!(
            shown("https://user:tok@GitHub.com:8443/o/r.git?x=1#f").as_deref(),
            Some("https://github.com:8443/o/r.git")
        );
        assert_eq!(
            shown("ssh://git@gitlab.com/o/r").as_deref(),
            Some("https://gitlab.com/o/r")
        );
        assert_eq!(shown("https://git.internal.example/o/r"), None);
        assert_eq!(shown("git@git.internal.example:o/r"), None);
        assert_eq!(shown("https://github.com:443.evil/o/r"), None);
        assert_eq!(shown("https://github.com:99999/o/r"), None);
        assert_eq!(shown("github.com/o/r"), None);
        assert_eq!(
            shown("https://github.com:0/o/r").as_deref(),
            Some("https://github.com/o/r")
        );
        assert_eq!(
            shown("https://github.com/o/r;p").as_deref(),
            Some("https://github.com/o/r")
        );
        assert_eq!(
            shown("https://github.com/o;x/r").as_deref(),
            Some("https://github.com/o;x/r")
        );
    }

    #[test]
    fn project_names_as_kimi_cli_finds_them() {
        let name = |u: &str| project_name(u);
        assert_eq!(name("git@github.com:o/r.git").as_deref(), Some("o/r"));
        assert_eq!(name("https://github.com/o/r.git").as_deref(), Some("o/r"));
        assert_eq!(name("ssh://git@host:22/o/r").as_deref(), Some("o/r"));
        assert_eq!(name("https://host/a/b/c").as_deref(), Some("b/c"));
        assert_eq!(name("https://host/o/.git").as_deref(), Some("o/.git"));
        assert_eq!(name("https://host/o/r.git.git").as_deref(), Some("o/r.git"));
        assert_eq!(name("noslash"), None);
    }
}
