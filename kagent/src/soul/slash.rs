//! Soul-level slash commands (`/clear`, `/yolo`, `/plan`, ...), parsed like kimi-cli parses them.

use super::{send_text, Soul, TurnError};
use crate::wire::types::{StatusUpdate, WireMessage};
use crate::wire::Wire;

/// A slash command known to the kernel, as listed by `initialize`.
pub struct SlashCommandInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

impl SlashCommandInfo {
    /// Its description: the profile's `messages."slash.<name>"`.
    pub fn description(&self) -> &'static str {
        crate::config::profile::active().message(&format!("slash.{}", self.name))
    }
}

/// Commands kagent lists in `initialize` (kimi-cli 1.51's names; descriptions from the profile).
pub const COMMANDS: &[SlashCommandInfo] = &[
    SlashCommandInfo {
        name: "init",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "compact",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "clear",
        aliases: &["reset"],
    },
    SlashCommandInfo {
        name: "yolo",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "afk",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "plan",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "add-dir",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "export",
        aliases: &[],
    },
    SlashCommandInfo {
        name: "import",
        aliases: &[],
    },
];

/// Parse `/name args` (name: `[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*`, then whitespace or end).
pub fn parse(input: &str) -> Option<(String, String)> {
    let input = input.trim();
    let rest = input.strip_prefix('/')?;
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let bytes: Vec<char> = rest.chars().collect();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && is_name(bytes[i]) {
            i += 1;
        }
        if i == start {
            if start == 0 {
                return None;
            }
            // a trailing ':' without a segment is not part of the name
            i = start - 1;
            break;
        }
        if i + 1 < bytes.len() && bytes[i] == ':' && is_name(bytes[i + 1]) {
            i += 1;
            continue;
        }
        break;
    }
    if i < bytes.len() && !bytes[i].is_whitespace() {
        return None;
    }
    let name: String = bytes[..i].iter().collect();
    let args: String = bytes[i..]
        .iter()
        .collect::<String>()
        .trim_start()
        .to_string();
    Some((name, args))
}

fn find(name: &str) -> Option<&'static SlashCommandInfo> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// A slash command's fixed text (the profile's `messages`), placeholders filled.
fn msg(key: &str, values: &[(&str, &str)]) -> String {
    crate::config::profile::active().message_with(key, values)
}

/// Run a slash command inside a turn (between TurnBegin and TurnEnd).
pub async fn run(
    soul: &mut Soul,
    name: &str,
    args: &str,
    wire: &Wire,
    cancel: &super::cancel::CancelToken,
) -> Result<(), TurnError> {
    let Some(cmd) = find(name) else {
        send_text(wire, &msg("command.unknown", &[("{name}", name)]));
        return Ok(());
    };
    match cmd.name {
        "clear" => {
            soul.context.clear()?;
            send_text(wire, &msg("command.clear.done", &[]));
            let max = soul.llm.as_ref().map(|l| l.max_context_size);
            wire.send(WireMessage::StatusUpdate(StatusUpdate {
                context_usage: max.map(|_| 0.0),
                context_tokens: max.map(|_| 0),
                max_context_tokens: max,
                ..StatusUpdate::default()
            }));
        }
        "yolo" => {
            let (on, afk) = {
                let st = kagent_base::sync::lock(&soul.state);
                (!st.yolo(), st.afk())
            };
            soul.update_state(|s| s.set_yolo(on))?;
            send_text(
                wire,
                &msg(
                    if on {
                        "command.yolo.on"
                    } else if afk {
                        "command.yolo.off_afk_on"
                    } else {
                        "command.yolo.off"
                    },
                    &[],
                ),
            );
        }
        "afk" => {
            let (afk, yolo) = {
                let st = kagent_base::sync::lock(&soul.state);
                (st.afk(), st.yolo())
            };
            soul.update_state(|s| s.set_afk(!afk))?;
            soul.injections.on_afk_changed();
            if afk {
                soul.context.append(&[kagent_base::message::Message::new(
                    kagent_base::message::Role::User,
                    vec![kagent_base::message::ContentPart::text(format!(
                        "<system-reminder>\n{}\n</system-reminder>",
                        crate::config::profile::active()
                            .text(crate::config::profile::Text::AfkDisabled)
                    ))],
                )])?;
                send_text(
                    wire,
                    &msg(
                        if yolo {
                            "command.afk.off_yolo_on"
                        } else {
                            "command.afk.off"
                        },
                        &[],
                    ),
                );
            } else {
                send_text(wire, &msg("command.afk.on", &[]));
            }
        }
        "compact" if soul.context.history().is_empty() => {
            send_text(wire, &msg("command.compact.empty", &[]));
        }
        "compact" => {
            soul.compact_context(wire, args.trim(), true).await?;
            send_text(wire, &msg("command.compact.done", &[]));
            if let Some(max) = soul.llm.as_ref().map(|l| l.max_context_size) {
                let tokens = soul.context.token_count();
                wire.send(WireMessage::StatusUpdate(StatusUpdate {
                    context_usage: Some(if max > 0 {
                        tokens as f64 / max as f64
                    } else {
                        0.0
                    }),
                    context_tokens: Some(tokens),
                    max_context_tokens: Some(max),
                    ..StatusUpdate::default()
                }));
            }
        }
        "plan" => {
            let path_text = |soul: &Soul| {
                soul.plan_file_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "None".into())
            };
            let status = |soul: &Soul| {
                WireMessage::StatusUpdate(StatusUpdate {
                    plan_mode: Some(soul.plan_mode()),
                    ..StatusUpdate::default()
                })
            };
            match args.trim().to_lowercase().as_str() {
                "on" => {
                    if !soul.plan_mode() {
                        soul.set_plan_mode(true)?;
                    }
                    send_text(
                        wire,
                        &msg("command.plan.on", &[("{plan_path}", &path_text(soul))]),
                    );
                    wire.send(status(soul));
                }
                "off" => {
                    if soul.plan_mode() {
                        soul.set_plan_mode(false)?;
                    }
                    send_text(wire, &msg("command.plan.off", &[]));
                    wire.send(status(soul));
                }
                "view" => {
                    let content = soul
                        .plan_file_path()
                        .and_then(|p| std::fs::read_to_string(p).ok())
                        .filter(|c| !c.is_empty());
                    match content {
                        Some(c) => send_text(wire, &c),
                        None => send_text(wire, &msg("command.plan.no_file", &[])),
                    }
                }
                "clear" => {
                    if let Some(p) = soul.plan_file_path().filter(|p| p.exists()) {
                        if let Err(e) = std::fs::remove_file(&p) {
                            kagent_base::logging::warn(&format!(
                                "cannot remove {}: {e}",
                                p.display()
                            ));
                        }
                    }
                    send_text(wire, &msg("command.plan.cleared", &[]));
                }
                _ => {
                    let on = !soul.plan_mode();
                    soul.set_plan_mode(on)?;
                    if on {
                        send_text(
                            wire,
                            &msg(
                                "command.plan.toggled_on",
                                &[("{plan_path}", &path_text(soul))],
                            ),
                        );
                    } else {
                        send_text(wire, &msg("command.plan.off", &[]));
                    }
                    wire.send(status(soul));
                }
            }
        }
        "init" => super::init::init(soul, wire, cancel).await?,
        "add-dir" => super::workspace::add_dir(soul, args, wire)?,
        "export" => super::export::export(soul, args, wire)?,
        "import" => super::export::import(soul, args, wire)?,
        other => {
            kagent_base::logging::warn(&format!(
                "slash command /{other} is not built in kagent yet"
            ));
            send_text(
                wire,
                &format!("The /{other} command is not available in kagent yet."),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_like_kimi() {
        assert_eq!(parse("/clear"), Some(("clear".into(), "".into())));
        assert_eq!(parse(" /plan  on "), Some(("plan".into(), "on".into())));
        assert_eq!(
            parse("/skill:x-y go"),
            Some(("skill:x-y".into(), "go".into()))
        );
        assert_eq!(parse("/a.b"), None);
        assert_eq!(parse("hello"), None);
        assert_eq!(parse("/"), None);
    }
}
