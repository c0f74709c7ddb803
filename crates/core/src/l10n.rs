//! Deskbell in the agent's language. The texts are Fluent catalogs, one per
//! language (`locales/<code>/deskbell.ftl` for the core and the tray,
//! `locales/<code>/window.ftl` for the window); a [`Locale`] is chosen once
//! from the config or the OS and passed to whatever writes a text, as `now`
//! is. A text the chosen catalog lacks is said in English, never as a gap.

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

/// The languages Deskbell has catalogs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[serde(rename = "en")]
    English,
    #[serde(rename = "de")]
    German,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::German];

    pub const fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
        }
    }

    /// The core's catalog, as shipped.
    pub const fn catalog(self) -> &'static str {
        match self {
            Language::English => include_str!("../../../locales/en/deskbell.ftl"),
            Language::German => include_str!("../../../locales/de/deskbell.ftl"),
        }
    }

    fn of_code(code: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code))
    }
}

/// Where the language choice came from (`deskbell status`, the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocaleSource {
    /// `language = "de"` in the config.
    Config,
    /// `LANGUAGE`, `LC_ALL`, `LC_MESSAGES` or `LANG`.
    Os,
    /// Nothing asked for a language Deskbell has.
    Fallback,
}

/// The agent's language, and the BCP 47 tag the window formats dates,
/// times and numbers with (`de-AT`: German texts, Austrian forms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locale {
    pub language: Language,
    pub tag: String,
    pub source: LocaleSource,
}

impl Default for Locale {
    fn default() -> Self {
        Locale::english()
    }
}

/// A value put into a text.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Str(&'a str),
    Num(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Str(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Str(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}

impl From<usize> for Arg<'_> {
    fn from(n: usize) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl Locale {
    pub fn english() -> Locale {
        Locale {
            language: Language::English,
            tag: "en".into(),
            source: LocaleSource::Fallback,
        }
    }

    pub fn of(language: Language) -> Locale {
        Locale {
            language,
            tag: language.code().into(),
            source: LocaleSource::Config,
        }
    }

    /// The config's `language` when Deskbell has it, else the OS locale's
    /// (`var` reads the environment: GNU's `LANGUAGE` list first, then
    /// `LC_ALL`, `LC_MESSAGES`, `LANG`, as gettext does), else English.
    /// A choice Deskbell has no catalog for falls through to the next.
    pub fn resolve(config: Option<&str>, var: impl Fn(&str) -> Option<String>) -> Locale {
        if let Some(locale) = config.and_then(|c| Locale::of_tag(c, LocaleSource::Config)) {
            return locale;
        }
        // gettext ignores LANGUAGE when the locale is "C": so do we.
        let posix = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|v| var(v).filter(|s| !s.is_empty()));
        let is_c = posix
            .as_deref()
            .is_none_or(|p| matches!(p.split(['.', '@']).next(), Some("C" | "POSIX")));
        let listed = (!is_c)
            .then(|| var("LANGUAGE"))
            .flatten()
            .unwrap_or_default();
        listed
            .split(':')
            .chain(posix.as_deref())
            .find_map(|tag| Locale::of_tag(tag, LocaleSource::Os))
            .unwrap_or_else(Locale::english)
    }

    /// `de_DE.UTF-8@euro`, `de-AT` or `de` as a locale, when Deskbell has
    /// its language.
    pub fn of_tag(tag: &str, source: LocaleSource) -> Option<Locale> {
        let base = tag.trim().split(['.', '@']).next().unwrap_or_default();
        let mut parts = base.split(['_', '-']);
        let language = Language::of_code(parts.next()?)?;
        let region = parts
            .next()
            .filter(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()));
        let tag = match region {
            Some(r) => format!("{}-{}", language.code(), r.to_ascii_uppercase()),
            None => language.code().to_owned(),
        };
        Some(Locale {
            language,
            tag,
            source,
        })
    }

    /// `msg` in this locale's language, with `args` put in; in English when
    /// the catalog lacks it or cannot say it with these args.
    pub fn text(&self, msg: Msg, args: &[(&str, Arg<'_>)]) -> String {
        say(
            &[bundle(self.language), bundle(Language::English)],
            msg,
            args,
        )
    }

    /// A time of day as the notifications and the tray say it: 24-hour
    /// `14:05` in both languages (German adds "Uhr" in the texts).
    pub fn time<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        t.format("%H:%M").to_string()
    }

    /// A count with the language's digit grouping: 12,345 or 12.345.
    pub fn count(&self, n: usize) -> String {
        let digits = n.to_string();
        let sep = match self.language {
            Language::English => ',',
            Language::German => '.',
        };
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }
}

type Bundle = FluentBundle<FluentResource>;

fn bundle(language: Language) -> Option<&'static Bundle> {
    static BUNDLES: [OnceLock<Option<Bundle>>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = match language {
        Language::English => &BUNDLES[0],
        Language::German => &BUNDLES[1],
    };
    slot.get_or_init(|| build_bundle(language.code(), language.catalog()))
        .as_ref()
}

fn build_bundle(code: &str, catalog: &str) -> Option<Bundle> {
    // The catalogs are part of the build, and crates/core/tests/l10n.rs
    // holds them to parse cleanly: an error here is one no test saw.
    let resource = match FluentResource::try_new(catalog.to_owned()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!("the {code} catalog has errors: {errors:?}");
            r
        }
    };
    let mut bundle = FluentBundle::new_concurrent(vec![code.parse().ok()?]);
    // Unicode isolation marks would be stripped as hidden characters
    // before any sink (`notification::is_hidden_char`).
    bundle.set_use_isolating(false);
    // A message given twice: the first stays, the error is logged.
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!("the {code} catalog has errors: {errors:?}");
    }
    Some(bundle)
}

/// The first of `bundles` that says `msg` whole; its id when none does.
fn say(bundles: &[Option<&Bundle>], msg: Msg, args: &[(&str, Arg<'_>)]) -> String {
    bundles
        .iter()
        .flatten()
        .find_map(|b| render(b, msg, args))
        .unwrap_or_else(|| msg.id().to_owned())
}

fn render(bundle: &Bundle, msg: Msg, args: &[(&str, Arg<'_>)]) -> Option<String> {
    let pattern = bundle.get_message(msg.id())?.value()?;
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        fluent_args.set(
            *name,
            match value {
                Arg::Str(s) => FluentValue::from(*s),
                Arg::Num(n) => FluentValue::from(*n),
            },
        );
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

/// Whether `language`'s catalog says `msg` with `args` without a gap (a
/// missing message or variable): for the tests that hold catalogs whole.
pub fn says(language: Language, msg: Msg, args: &[(&str, Arg<'_>)]) -> bool {
    bundle(language).is_some_and(|b| render(b, msg, args).is_some())
}

macro_rules! messages {
    ($($variant:ident = $id:literal $([$($arg:literal),*])?,)*) => {
        /// Every text the core and the tray say, by its catalog id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg {
            $($variant,)*
        }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$variant,)*];

            pub const fn id(self) -> &'static str {
                match self {
                    $(Msg::$variant => $id,)*
                }
            }

            /// The variables the text takes.
            pub const fn args(self) -> &'static [&'static str] {
                match self {
                    $(Msg::$variant => &[$($($arg),*)?],)*
                }
            }
        }
    };
}

messages! {
    UnknownCaller = "unknown-caller",
    NoSubject = "no-subject",
    AgentFallbackName = "agent-fallback-name" ["id"],
    UnknownAgent = "unknown-agent",
    UnknownGroup = "unknown-group",
    Nobody = "nobody",
    You = "you",
    AgentStatusTitle = "agent-status-title" ["name", "status"],
    AgentStatusWas = "agent-status-was" ["status"],
    StatusOnline = "status-online",
    StatusBusy = "status-busy",
    StatusAfterCallWork = "status-after-call-work",
    StatusOffline = "status-offline",
    StatusUnknown = "status-unknown" ["code"],
    MissedCallTitle = "missed-call-title" ["who"],
    MissedCallTo = "missed-call-to" ["number"],
    NewTicketTitle = "new-ticket-title" ["id", "subject"],
    TicketFromNameEmail = "ticket-from-name-email" ["name", "email"],
    TicketFrom = "ticket-from" ["who"],
    TicketPriority = "ticket-priority" ["priority", "code"],
    TicketSource = "ticket-source" ["code"],
    TicketSpam = "ticket-spam" ["id"],
    TicketReassigned = "ticket-reassigned" ["id", "relation"],
    ConversationReassigned = "conversation-reassigned" ["relation"],
    ConversationWithReassigned = "conversation-with-reassigned" ["name", "relation"],
    ReassignedBy = "reassigned-by" ["name"],
    FirstResponseOverdue = "first-response-overdue" ["id", "subject"],
    FirstResponseDueIn = "first-response-due-in" ["minutes", "id", "subject"],
    FirstResponseDueAt = "first-response-due-at" ["time"],
    Unassigned = "unassigned",
    KindCount = "kind-count" ["kind", "count"],
    HeldDoNotDisturb = "held-do-not-disturb",
    HeldQuietHours = "held-quiet-hours",
    HeldOnCall = "held-on-call",
    HeldAway = "held-away",
    ActionOpen = "action-open",
    ActionAssign = "action-assign",
    ActionCallBack = "action-call-back",
    ActionRemind = "action-remind" ["minutes"],
    ReminderTitle = "reminder-title" ["title"],
    AssignedYours = "assigned-yours" ["id"],
    AssignedAlready = "assigned-already" ["id"],
    AssignedTaken = "assigned-taken" ["who", "id"],
    AssignedTakenAgo = "assigned-taken-ago" ["who", "id", "ago"],
    NothingChanged = "nothing-changed" ["title"],
    AssignFailed = "assign-failed" ["id"],
    Calling = "calling" ["number"],
    CallingRingsFirst = "calling-rings-first",
    CallBackFailed = "call-back-failed" ["number"],
    AgoJustNow = "ago-just-now",
    AgoMinutes = "ago-minutes" ["count"],
    AgoHours = "ago-hours" ["count"],
    AgoDays = "ago-days" ["count"],
    TrayMissedCalls = "tray-missed-calls",
    TrayNewTickets = "tray-new-tickets",
    TrayReassignedConversations = "tray-reassigned-conversations",
    TrayReassignedTickets = "tray-reassigned-tickets",
    TrayAgentStatus = "tray-agent-status",
    TrayFirstResponses = "tray-first-responses",
    TrayDoNotDisturb = "tray-do-not-disturb",
    TrayDndHalfHour = "tray-dnd-half-hour",
    TrayDndHour = "tray-dnd-hour",
    TrayDndTomorrow = "tray-dnd-tomorrow",
    TrayDndOff = "tray-dnd-off",
    TrayStartAtLogin = "tray-start-at-login",
    TrayOpen = "tray-open",
    TrayQuit = "tray-quit",
    TrayDemo = "tray-demo",
    TooltipDemo = "tooltip-demo",
    TooltipLastEvent = "tooltip-last-event" ["time"],
    TooltipNoEvents = "tooltip-no-events",
    TooltipUnseen = "tooltip-unseen" ["count"],
    TooltipConfigProblem = "tooltip-config-problem" ["problem"],
    AccountKeyringLocked = "account-keyring-locked" ["name"],
    AccountSecretMissing = "account-secret-missing" ["name"],
    AccountConnecting = "account-connecting" ["name"],
    AccountConnected = "account-connected" ["name"],
    AccountReconnecting = "account-reconnecting" ["name", "time", "reason"],
    AccountSignInNeeded = "account-sign-in-needed" ["name"],
    AccountStopped = "account-stopped" ["name"],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_os_locale_is_read_as_gettext_reads_it() {
        let de = |vars| Locale::resolve(None, env(vars));
        assert_eq!(de(&[("LANG", "de_DE.UTF-8")]).tag, "de-DE");
        assert_eq!(de(&[("LANG", "de_AT.UTF-8@euro")]).tag, "de-AT");
        // LC_ALL beats LANG; LANGUAGE's list beats both, first it has wins.
        assert_eq!(
            de(&[("LC_ALL", "de_CH.UTF-8"), ("LANG", "en_US.UTF-8")]).tag,
            "de-CH"
        );
        let listed = de(&[("LANGUAGE", "fr:de:en"), ("LANG", "en_US.UTF-8")]);
        assert_eq!(
            (listed.language, listed.source),
            (Language::German, LocaleSource::Os)
        );
        // Under the C locale gettext ignores LANGUAGE.
        assert_eq!(
            de(&[("LANGUAGE", "de"), ("LANG", "C.UTF-8")]).language,
            Language::English
        );
        // A language without a catalog: English, said as a fallback.
        let french = de(&[("LANG", "fr_FR.UTF-8")]);
        assert_eq!(
            (french.language, french.source),
            (Language::English, LocaleSource::Fallback)
        );
        assert_eq!(de(&[]).tag, "en");
    }

    #[test]
    fn the_config_overrides_the_os_unless_it_names_no_catalog() {
        let os = [("LANG", "de_DE.UTF-8")];
        let english = Locale::resolve(Some("en"), env(&os));
        assert_eq!(
            (english.tag.as_str(), english.source),
            ("en", LocaleSource::Config)
        );
        let unknown = Locale::resolve(Some("klingon"), env(&os));
        assert_eq!(
            (unknown.language, unknown.source),
            (Language::German, LocaleSource::Os)
        );
    }

    #[test]
    fn texts_take_their_args_and_plurals() {
        let de = Locale::of(Language::German);
        let en = Locale::english();
        let count = |l: &Locale, n: usize| {
            l.text(
                Msg::KindCount,
                &[("kind", "missed_call".into()), ("count", n.into())],
            )
        };
        assert_eq!(count(&en, 1), "1 missed call");
        assert_eq!(count(&en, 3), "3 missed calls");
        assert_eq!(count(&de, 1), "1 verpasster Anruf");
        assert_eq!(count(&de, 3), "3 verpasste Anrufe");
        assert_eq!(
            de.text(Msg::MissedCallTitle, &[("who", "Ann".into())]),
            "Verpasster Anruf von Ann"
        );
    }

    #[test]
    fn a_text_the_catalog_lacks_is_said_in_english() {
        let partial = build_bundle("de", "you = Sie\n").expect("a bundle");
        let both = [Some(&partial), bundle(Language::English)];
        assert_eq!(say(&both, Msg::You, &[]), "Sie");
        assert_eq!(say(&both, Msg::Nobody, &[]), "nobody");
    }

    #[test]
    fn a_text_with_a_missing_arg_falls_back_to_english_then_to_its_id() {
        // German cannot say it without `who`; neither can English: the id.
        let de = Locale::of(Language::German);
        assert_eq!(de.text(Msg::MissedCallTitle, &[]), "missed-call-title");
    }

    #[test]
    fn counts_group_digits_as_the_language_does() {
        assert_eq!(Locale::english().count(1234567), "1,234,567");
        assert_eq!(Locale::of(Language::German).count(12345), "12.345");
        assert_eq!(Locale::of(Language::German).count(999), "999");
    }
}
