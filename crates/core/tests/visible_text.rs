//! Customer text loses direction controls and invisible format characters,
//! and nothing else, whatever the string.

use deskbell_core::notification::{is_hidden_char, visible_text};
use proptest::prelude::*;

/// Strings rich in the characters that matter, and in their neighbours.
fn text() -> impl Strategy<Value = String> {
    let interesting = prop_oneof![
        Just('\u{202A}'),
        Just('\u{202E}'),
        Just('\u{2066}'),
        Just('\u{2069}'),
        Just('\u{200E}'),
        Just('\u{200F}'),
        Just('\u{061C}'),
        Just('\u{200B}'),
        Just('\u{200C}'),
        Just('\u{200D}'),
        Just('\u{FEFF}'),
        Just('\u{00AD}'),
        Just('\u{1F469}'),
        Just('\n'),
        Just('\t'),
        Just('\u{1b}'),
        Just('a'),
        Just('é'),
    ];
    prop::collection::vec(prop_oneof![interesting, any::<char>()], 0..40)
        .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn only_hidden_characters_are_removed(s in text()) {
        let shown = visible_text(&s);
        let direction = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        prop_assert!(!shown.chars().any(direction));
        prop_assert!(!shown.chars().any(is_hidden_char));
        // Everything else is kept, in order: text stays text.
        let kept: String = s.chars().filter(|c| !is_hidden_char(*c)).collect();
        prop_assert_eq!(shown.as_ref(), kept.as_str());
        // Once is enough.
        let again = visible_text(&shown).into_owned();
        prop_assert_eq!(again.as_str(), shown.as_ref());
    }
}

#[test]
fn joiners_newlines_and_tabs_stay() {
    let family = "\u{1F469}\u{200D}\u{1F467}";
    assert_eq!(visible_text(family), family);
    assert_eq!(visible_text("a\tb\nc"), "a\tb\nc");
    assert_eq!(visible_text("\u{202e}gnp.exe"), "gnp.exe");
    assert!(matches!(
        visible_text("plain"),
        std::borrow::Cow::Borrowed(_)
    ));
}
