//! The plan session of plan mode: turning plan mode on allocates a `plan_session_id` (32 hex
//! digits) and a random slug, both saved in `state.json`; the plan file is
//! `$HOME/.kimi/plans/<slug>.md` (kimi-cli 1.51's layout). Switching plan mode lives here
//! too, since it is a change of the session state the tools and the soul share.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{SessionError, SessionState};

/// Words for plan slugs (three of them, joined by `-`): the profile's (kimi-cli's hero names
/// under kimi-kernel, kagent's own word list otherwise).
fn slug_words() -> &'static [String] {
    &crate::config::profile::active().plan_slug_words
}

/// `$HOME/.kimi/plans` (kimi-cli keeps plans under the home directory, not the share dir).
pub fn plans_dir() -> PathBuf {
    kagent_base::paths::home_dir_or_dot()
        .join(".kimi")
        .join("plans")
}

/// Random indexes from a fresh v4 UUID's bytes.
fn random_words(n: usize) -> Vec<&'static str> {
    let words = slug_words();
    let bytes = uuid::Uuid::new_v4().into_bytes();
    (0..n)
        .map(|i| {
            let v = u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]) as usize;
            words[v % words.len()].as_str()
        })
        .collect()
}

/// A slug whose plan file does not exist yet (20 tries, then the session id prefix is added).
fn new_slug(plan_session_id: &str) -> String {
    let dir = plans_dir();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        kagent_base::logging::warn(&format!("cannot create {}: {e}", dir.display()));
    }
    let mut slug = String::new();
    for _ in 0..20 {
        slug = random_words(3).join("-");
        if !dir.join(format!("{slug}.md")).exists() {
            return slug;
        }
    }
    let prefix: String = plan_session_id.chars().take(8).collect();
    format!("{slug}-{prefix}")
}

/// The slug of the state's plan session: the saved one, or one made up for this process
/// (kimi-cli keeps a per-process cache and does not save it in that case either).
fn slug_for(st: &mut SessionState, plan_session_id: &str) -> String {
    if let Some(slug) = st.plan_slug() {
        return slug.to_string();
    }
    if let Some((id, slug)) = st.plan_slug_cache() {
        if id == plan_session_id {
            return slug.to_string();
        }
    }
    let slug = new_slug(plan_session_id);
    st.set_plan_slug_cache(plan_session_id, &slug);
    slug
}

/// Allocate the plan session (id and slug, saved) if there is none yet.
pub fn ensure_plan_session(st: &mut SessionState, session_dir: &Path) -> Result<(), SessionError> {
    if st.plan_session_id().is_some() {
        return Ok(());
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let slug = new_slug(&id);
    st.set_plan_session(Some((&id, &slug)));
    st.save(session_dir)
}

/// The plan file of the current plan session, if any.
pub fn plan_file_path(state: &Mutex<SessionState>) -> Option<PathBuf> {
    let mut st = kagent_base::sync::lock(state);
    let id = st.plan_session_id()?.to_string();
    let slug = slug_for(&mut st, &id);
    Some(plans_dir().join(format!("{slug}.md")))
}

/// Switch plan mode. `manual` (wire request, slash command, `--plan`) schedules the
/// activation reminder. Nothing changes (or is saved) when the mode is already `on`.
pub fn set_plan_mode(
    state: &Mutex<SessionState>,
    session_dir: &Path,
    on: bool,
    manual: bool,
) -> Result<bool, SessionError> {
    let mut st = kagent_base::sync::lock(state);
    if st.plan_mode() == on {
        return Ok(on);
    }
    let fresh = SessionState::load(session_dir);
    if let Some(t) = fresh.custom_title() {
        st.set_custom_title(t);
    }
    if on {
        ensure_plan_session(&mut st, session_dir)?;
        st.set_pending_plan_reminder(manual);
    } else {
        st.set_pending_plan_reminder(false);
        st.set_plan_session(None);
    }
    st.set_plan_mode(on);
    st.save(session_dir)?;
    Ok(on)
}

/// A client that switched plan mode itself and saved it in state.json (kimi-kernel's proxy:
/// kimi-cli's side already reported and recorded the change) tells kagent with a silent
/// `set_plan_mode`: take the saved plan session instead of making a second one, schedule the
/// activation reminder as a manual switch does, and save nothing (the file is already right).
pub fn adopt_client_plan_mode(
    state: &Mutex<SessionState>,
    session_dir: &std::path::Path,
    on: bool,
) {
    let mut st = kagent_base::sync::lock(state);
    if st.plan_mode() == on {
        return;
    }
    let saved = SessionState::load(session_dir);
    let plan_session = match (saved.plan_session_id(), saved.plan_slug()) {
        (Some(id), Some(slug)) if on => Some((id.to_string(), slug.to_string())),
        _ => None,
    };
    st.set_plan_session(plan_session.as_ref().map(|(i, s)| (i.as_str(), s.as_str())));
    st.set_pending_plan_reminder(on);
    st.set_plan_mode(on);
}

/// Schedule the activation reminder if plan mode is already on (`--plan` on a session
/// restored in plan mode).
pub fn schedule_activation_reminder(state: &Mutex<SessionState>) {
    let mut st = kagent_base::sync::lock(state);
    if st.plan_mode() {
        st.set_pending_plan_reminder(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_three_words() {
        let w = random_words(3);
        assert_eq!(w.len(), 3);
        assert!(w.iter().all(|s| s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')));
        assert_eq!(slug_words().len(), 113);
        assert_eq!(slug_words()[0], "acorn");
    }
}
